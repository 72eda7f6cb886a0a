"""Full analysis of 51 variants x 1,000 items: target at most 3 s on 2 cores.

Builds a synthetic run (a baseline plus 50 variants, 1,000 benchmark items each, with
generation-metric and timing rows), then times the whole analysis stage: cells, every paired
test with bootstrap CIs and Holm correction, adjacent-level tests, all classifiers, the
decision matrix and recommendations. "cold" includes the first import of numpy and
scipy in this process; "warm" is a second run.

    .venv/bin/python bench/analysis_speed.py
"""

from __future__ import annotations

import random
import time

from qframe.analysis.data import RunData
from qframe.analysis.pipeline import analyse
from qframe.config import AnalysisSection
from qframe_classifiers.cell_classifiers import CLASSIFIERS

VARIANTS, ITEMS = 51, 1000
DETAILS = {"n_layer": 32, "n_embd": 4096, "n_head": 32, "n_head_kv": 8}


def synthetic_run() -> RunData:
    rng = random.Random(2026)
    variants, scores, generations = {}, [], []
    for index in range(VARIANTS):
        vid = "F16" if index == 0 else f"q{index:02d}"
        bits = 16.0 - 14.0 * index / VARIANTS
        variants[vid] = {"family": "", "quant": vid, "baseline": index == 0, "parameters": 8_000_000_000,
                         "bits_per_weight": bits, "size_bytes": int(8e9 * bits / 8), "details": DETAILS}
        accuracy = 0.70 - 0.25 * (index / VARIANTS) ** 2
        for item in range(ITEMS):
            key = {"variant": vid, "task": "mmlu", "sample_id": f"s{item:04d}", "repetition": 0}
            scores.append(key | {"metric": "accuracy_rescored", "value": float(rng.random() < accuracy)})
            scores.append(key | {"metric": "accuracy_raw", "value": float(rng.random() < accuracy - 0.1)})
            generations.append(key | {"error": None, "completion_tokens": 64, "eval_ms": 64_000 / (30 + index),
                                      "ttft_ms": 40.0, "wall_ms": 70_000 / (30 + index), "group": f"subj{item % 57}"})
    return RunData(variants, generations, scores)


def main() -> None:
    data = synthetic_run()
    settings = AnalysisSection()
    classifiers = [cls({}) for cls in CLASSIFIERS]
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        result = analyse(RunData(data.variants, data.generations, data.scores), settings, classifiers)
        timings.append(time.perf_counter() - started)
    print(f"variants: {VARIANTS}, items: {ITEMS}, score rows: {len(data.scores)}, tests: {len(result['comparisons'])}")
    print(f"full analysis, cold (incl. first numpy/scipy import):  {timings[0]:.2f} s (target <= 3 s)")
    print(f"full analysis, warm:                                  {timings[1]:.2f} s")


if __name__ == "__main__":
    main()
