"""qframe's lm-eval tasks against lm-eval's own evaluator, item by item, on SmolLM2.

The same documents go through lm-eval (``simple_evaluate`` with its ``hf`` model on a
safetensors folder written from the F16 GGUF) and through ``qframe run`` with two variants: the
``transformers`` backend on that folder, and the ``llamacpp`` backend on the F16 GGUF itself.
Two local-file lm-eval tasks, written here from the project's own built-in items:

* ``qf_arc`` (multiple choice, loglikelihood): the 20 built-in ARC-style questions in lm-eval's
  ``arc_easy`` prompt, plus ``qf_sums``, 40 arithmetic questions, as a group;
* ``qf_math`` (generate_until): GSM8K-style arithmetic word answers, 3-shot, with lm-eval's
  ``gsm8k`` regex filters (``strict-match``, ``flexible-extract``) and ``exact_match``.

Reported per engine: items whose every lm-eval metric equals lm-eval's, the largest difference
of a choice's log-probability, generated texts identical to lm-eval's, and the wall time of
each run (model load included). Both runs use 2 threads, float32 on the CPU, greedy decoding.

    .venv/bin/python bench/lmeval_agreement.py [--math N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import textwrap
import time
from pathlib import Path
from typing import Any

THREADS = int(os.environ.get("QFRAME_BENCH_THREADS", "2"))
SEED = 42
GSM8K_FILTERS = """
filter_list:
  - name: strict-match
    filter:
      - function: regex
        regex_pattern: "#### (\\\\-?[0-9\\\\.\\\\,]+)"
      - function: take_first
  - name: flexible-extract
    filter:
      - function: regex
        group_select: -1
        regex_pattern: "(-?[$0-9.,]{2,})|(-?[0-9]+)"
      - function: take_first
"""


def f16_gguf() -> Path:
    """The F16 rung of the cached SmolLM2 demo ladder (built on first use)."""
    from qframe.data.cache import cache_dir
    from qframe_llamacpp.demo import smollm2_source
    from qframe_llamacpp.ladder import build_ladder

    [rung] = build_ladder(smollm2_source(), ("F16",), cache_dir() / "demo" / "smollm2", log=lambda _: None)
    return rung.path


def safetensors_folder(gguf: Path) -> Path:
    """The GGUF's weights as a Hugging Face folder (float16 safetensors), written once beside it."""
    folder = gguf.with_suffix(".hf")
    if (folder / "model.safetensors").exists():
        return folder
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float16)
    model.hf_quantizer = None  # dequantized already; what is saved is plain float16
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(folder)
    return folder


def write_tasks(folder: Path, sums: int = 40, math: int = 30) -> Path:
    """The lm-eval YAML tasks and their JSONL files (see the module docstring)."""
    from qframe_tasks_benchmarks.arithmetic import arithmetic_rows
    from qframe_tasks_benchmarks.task import BUILTIN_DIR

    folder.mkdir(parents=True, exist_ok=True)
    rows = list(arithmetic_rows())
    spread = rows[:: len(rows) // sums][:sums]
    _jsonl(folder / "sums.jsonl", spread)
    worded = [
        {"question": row["question"], "answer": f"The answer is {row['choices'][row['answer']]}.\n#### {row['choices'][row['answer']]}"}
        for row in rows[7:: len(rows) // (math + 3)]
    ]
    _jsonl(folder / "math_train.jsonl", worded[:3])
    _jsonl(folder / "math_test.jsonl", worded[3 : 3 + math])
    cache = folder / "hf-cache"
    (folder / "qf_arc.yaml").write_text(textwrap.dedent(f"""
        task: qf_arc
        dataset_path: json
        dataset_kwargs: {{cache_dir: {cache}, data_files: {{test: {BUILTIN_DIR / 'arc_challenge.jsonl'}}}}}
        test_split: test
        output_type: multiple_choice
        doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
        doc_to_target: "{{{{choices.label.index(answerKey)}}}}"
        doc_to_choice: "{{{{choices.text}}}}"
        metric_list: [{{metric: acc}}, {{metric: acc_norm}}]
    """))
    (folder / "qf_sums.yaml").write_text(textwrap.dedent(f"""
        task: qf_sums
        dataset_path: json
        dataset_kwargs: {{cache_dir: {cache}, data_files: {{test: {folder / 'sums.jsonl'}}}}}
        test_split: test
        output_type: multiple_choice
        doc_to_text: "{{{{question}}}}\\nAnswer:"
        doc_to_target: answer
        doc_to_choice: "{{{{choices}}}}"
        metric_list: [{{metric: acc}}, {{metric: acc_norm}}]
    """))
    (folder / "qf_choice.yaml").write_text("group: qf_choice\ntask: [qf_arc, qf_sums]\n")
    (folder / "qf_math.yaml").write_text(textwrap.dedent(f"""
        task: qf_math
        dataset_path: json
        dataset_kwargs: {{cache_dir: {cache}, data_files: {{test: {folder / 'math_test.jsonl'}, train: {folder / 'math_train.jsonl'}}}}}
        test_split: test
        fewshot_split: train
        output_type: generate_until
        doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
        doc_to_target: "{{{{answer}}}}"
        num_fewshot: 3
        metric_list:
          - metric: exact_match
            aggregation: mean
            higher_is_better: true
            ignore_case: true
            regexes_to_ignore: [",", "\\\\$", "(?s).*#### ", "\\\\.$"]
        generation_kwargs: {{until: ["Question:", "</s>", "<|im_end|>"], max_gen_toks: 32, do_sample: false}}
    """) + GSM8K_FILTERS)
    return folder


def lm_eval_items(model_folder: Path, tasks_folder: Path, tasks: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """lm-eval's own evaluation: (leaf task, doc hash) -> choice log-probabilities or generated
    text, and every metric value under lm-eval's key (``acc``, ``exact_match,strict-match``)."""
    import lm_eval
    import torch
    from lm_eval.tasks import TaskManager

    torch.set_num_threads(THREADS)
    result = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={model_folder},dtype=float32",
        tasks=tasks,
        task_manager=TaskManager(include_path=str(tasks_folder), include_defaults=False),
        log_samples=True,
        fewshot_random_seed=SEED,
        bootstrap_iters=0,
        batch_size=1,
        device="cpu",
    )
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for task, samples in result["samples"].items():
        for sample in samples:
            entry = items.setdefault((task, sample["doc_hash"]), {"metrics": {}})
            if isinstance(sample["resps"][0][0], tuple):
                entry["logprobs"] = [float(resp[0][0]) for resp in sample["resps"]]
            else:
                entry["text"] = sample["resps"][0][0]
            suffix = "" if sample["filter"] == "none" else "," + sample["filter"]
            for metric in sample["metrics"]:
                entry["metrics"][metric + suffix] = float(sample[metric])
    return items


def qframe_items(model_folder: Path, gguf: Path, tasks_folder: Path, tasks: list[str], runs: Path) -> tuple[dict, dict]:
    """``qframe run`` with a transformers and a llama.cpp variant: variant -> the same mapping as
    :func:`lm_eval_items` (qframe's metric names without ``lmeval:``), and each variant's seconds."""
    import pyarrow.dataset

    from qframe.config import structure_experiment
    from qframe.plugin_api.plugins import get_host
    from qframe.run.session import execute, new_session

    config = {
        "experiment": {"name": "lmeval-agreement", "seed": SEED, "temperature": 0.0, "output_dir": str(runs)},
        "variants": [
            {"id": "transformers", "backend": "transformers", "model": str(model_folder), "quant": "F16",
             "baseline": True, "options": {"n_threads": THREADS, "dtype": "float32"}},
            {"id": "llamacpp", "backend": "llamacpp", "model": str(gguf), "quant": "F16",
             "options": {"n_threads": THREADS, "n_ctx": 2048}},
        ],
        "schedule": {"mode": "sequential"},
        "tasks": [{"name": f"lmeval:{task}", "options": {"include_path": str(tasks_folder)}} for task in tasks],
        "fidelity": {"enabled": False},
    }
    session = new_session(structure_experiment(config), get_host(), runs)
    asyncio.run(execute(session, progress=False))
    generations = pyarrow.dataset.dataset(session.store.path / "generations").to_table().to_pylist()
    scores = pyarrow.dataset.dataset(session.store.path / "scores").to_table().to_pylist()
    items: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    seconds: dict[str, float] = {}
    for row in generations:
        leaf, digest = row["sample_id"].split("/")
        entry = items.setdefault(row["variant"], {}).setdefault((leaf, digest), {"metrics": {}})
        if row.get("choice_logprobs"):
            entry["logprobs"] = list(row["choice_logprobs"])
        else:
            entry["text"] = row["text"]
        seconds[row["variant"]] = seconds.get(row["variant"], 0.0) + row["wall_ms"] / 1000
    for row in scores:
        leaf, digest = row["sample_id"].split("/")
        if row["value"] is not None:
            items[row["variant"]][(leaf, digest)]["metrics"][row["metric"].removeprefix("lmeval:")] = row["value"]
    return items, seconds


def compare(reference: dict[tuple[str, str], dict[str, Any]], candidate: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """Agreement of one engine's items with lm-eval's (keys: lm-eval's doc hash, qframe's prefix of it)."""
    by_prefix = {(task, digest[:16]): entry for (task, digest), entry in reference.items()}
    matched = [(by_prefix[key], entry) for key, entry in candidate.items() if key in by_prefix]
    metrics_equal = sum(ref["metrics"] == entry["metrics"] for ref, entry in matched)
    choice = [(ref, entry) for ref, entry in matched if "logprobs" in ref]
    text = [(ref, entry) for ref, entry in matched if "text" in ref]
    gaps = [abs(a - b) for ref, entry in choice for a, b in zip(ref["logprobs"], entry["logprobs"], strict=True)]
    return {
        "items": len(matched),
        "unmatched": len(candidate) - len(matched),
        "metrics_equal": metrics_equal,
        "choice_items": len(choice),
        "max_logprob_gap": max(gaps, default=0.0),
        "text_items": len(text),
        "texts_equal": sum(ref["text"] == entry["text"] for ref, entry in text),
        "differing": [
            {"lm_eval": ref["metrics"], "qframe": entry["metrics"]} for ref, entry in matched if ref["metrics"] != entry["metrics"]
        ][:5],
    }


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sums", type=int, default=40)
    parser.add_argument("--math", type=int, default=30)
    parser.add_argument("--work", type=Path, default=Path("/tmp/qframe-lmeval-agreement"))
    args = parser.parse_args()
    gguf = f16_gguf()
    model_folder = safetensors_folder(gguf)
    tasks_folder = write_tasks(args.work / "tasks", args.sums, args.math)
    tasks = ["qf_choice", "qf_math"]
    started = time.perf_counter()
    reference = lm_eval_items(model_folder, tasks_folder, tasks)
    lm_eval_seconds = time.perf_counter() - started
    started = time.perf_counter()
    items, generation_seconds = qframe_items(model_folder, gguf, tasks_folder, tasks, args.work / "runs")
    qframe_seconds = time.perf_counter() - started
    report = {
        "lm_eval_seconds": round(lm_eval_seconds, 1),
        "qframe_run_seconds": round(qframe_seconds, 1),
        "qframe_generation_seconds": {variant: round(value, 1) for variant, value in generation_seconds.items()},
        "agreement": {variant: compare(reference, entries) for variant, entries in items.items()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
