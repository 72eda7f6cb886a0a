"""How calibration size and method change a 4-bit SmolLM2-135M checkpoint made by ``qframe quantize``.

Four W4A16 group-64 checkpoints of SmolLM2 (the float32 HF folder the engine tests make from the
shipped GGUF, cached), each made by ``quantize_checkpoint`` exactly as the command makes them:

- GPTQ on the built-in calibration set (32 samples);
- GPTQ on the built-in set with dampening 0.1 instead of llm-compressor's 0.01;
- GPTQ on 128 samples of the generation suites' inputs and references (all but summarization);
- AWQ on the built-in set.

Each is scored against the dense float32 model on the 50 summarization passages (held out from
every calibration set, first 128 tokens each): mean KL(F16 || checkpoint) per token and top-1
agreement, from full-vocabulary log-softmax rows of one forward pass per passage.

    .venv/bin/python bench/gptq_calibration.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from qframe_tasks_generation.task import DATA_DIR, read_items
from qframe_transformers import quantize
from qframe_transformers.calibration import CalibrationSpec

HELD_OUT = "summarization"
TOKENS_PER_PASSAGE = 128


def calibration_file(folder: Path) -> Path:
    """One text a line: the generation suites' inputs and references, summarization excluded."""
    texts = []
    for suite in sorted(path.stem for path in DATA_DIR.glob("*.jsonl")):
        if suite != HELD_OUT:
            for item in read_items(suite):
                text = f"{item.get('input', '')} {item.get('reference', '')}".replace("\n", " ").strip()
                if len(text) > 40:
                    texts.append(text)
    path = folder / "calibration.txt"
    path.write_text("\n".join(texts))
    return path


def make(source: Path, out: Path, method: str, spec: CalibrationSpec, dampening: float | None = None) -> dict:
    original = quantize.recipe

    def recipe(*args):
        modifier = original(*args)
        if dampening is not None:
            modifier.dampening_frac = dampening
        return modifier

    quantize.recipe = recipe
    try:
        return quantize.quantize_checkpoint(source, method, 4, 64, out, spec, log=lambda _: None)
    finally:
        quantize.recipe = original


def fidelity(reference: Path, checkpoints: dict[str, Path]) -> dict[str, tuple[float, float, int]]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(reference)
    passages = [item["input"] for item in read_items(HELD_OUT)]
    inputs = [tokenizer(text, return_tensors="pt").input_ids[:, :TOKENS_PER_PASSAGE] for text in passages]
    with torch.inference_mode():
        base = AutoModelForCausalLM.from_pretrained(reference, dtype=torch.float32).eval()
        rows = [torch.log_softmax(base(ids).logits[0].double(), -1) for ids in inputs]
        results = {}
        for label, folder in checkpoints.items():
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
            kl = agree = count = 0.0
            for ids, p in zip(inputs, rows, strict=True):
                q = torch.log_softmax(model(ids).logits[0].double(), -1)
                kl += float((p.exp() * (p - q)).sum())
                agree += float((p.argmax(-1) == q.argmax(-1)).sum())
                count += ids.shape[1]
            results[label] = (kl / count, agree / count, int(count))
    return results


def main() -> None:
    from qframe.data.cache import cache_dir
    from qframe_llamacpp.demo import smollm2_source
    from qframe_transformers.convert import hf_folder_from_gguf

    source = reference = hf_folder_from_gguf(smollm2_source(), cache_dir() / "engines" / "smollm2-135m-f32", "float32")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        runs = {
            "GPTQ, built-in": ("gptq", CalibrationSpec(), None),
            "GPTQ, built-in, dampening 0.1": ("gptq", CalibrationSpec(), 0.1),
            "GPTQ, 128 suite texts": ("gptq", CalibrationSpec(source=str(calibration_file(work)), samples=128), None),
            "AWQ, built-in": ("awq", CalibrationSpec(), None),
        }
        records = {label: make(source, work / str(i), *run) for i, (label, run) in enumerate(runs.items())}
        scores = fidelity(reference, {label: work / str(i) for i, label in enumerate(runs)})
    print(f"SmolLM2-135M W4A16 g64 against float32, {HELD_OUT} passages (first {TOKENS_PER_PASSAGE} tokens):")
    print("| checkpoint | calibration tokens | quantize s | mean KL (nats/token) | top-1 agreement |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, record in records.items():
        kl, top1, _ = scores[label]
        print(f"| {label} | {record['calibration']['tokens']} | {record['seconds']:.0f} | {kl:.4f} | {top1:.3f} |")
    print(json.dumps({label: scores[label][2] for label in scores}))


if __name__ == "__main__":
    main()
