"""Semantic metrics on CPU: pairs per second scored in one batched call vs one pair per call.

200 (output, reference) pairs of realistic lengths come from the generation suites: each item's
reference set against its input (a summary against its passage, an answer against its question,
a poem against its request, a function against its specification), 50 of each. Each metric is
built once and warmed up (model load and a first small batch, timed separately), then scores the
200 pairs in one ``score`` call and again one pair per call, alternating for ``ROUNDS`` rounds;
the medians are reported, because the shared vCPUs of a cloud machine slow single runs by up to
3x at random. Both ways must give the same scores.

    .venv/bin/python bench/semantic_metrics.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median

from qframe.plugin_api.protocols import Metric, Sample, ScoringItem
from qframe_metrics_semantic.bertscore import BERTScoreMetric
from qframe_metrics_semantic.coherence import CoherenceMetric
from qframe_tasks_generation.task import read_items

SUITES = ("summarization", "qa", "creative", "code")
ROUNDS = 3


def bench_items() -> list[ScoringItem]:
    return [
        ScoringItem("bench", suite, Sample(item["id"], "", reference=item["input"]), 0, {"text": item["reference"]})
        for suite in SUITES
        for item in read_items(suite)
    ]


def main() -> None:
    import torch

    items = bench_items()
    print(f"pairs: {len(items)}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    for factory in (BERTScoreMetric, CoherenceMetric):
        started = time.perf_counter()
        metric = factory({})
        metric.score(items[:2])
        warm_up = time.perf_counter() - started
        batched_s, single_s, difference = compare(metric, items)
        print(
            f"{metric.name:10s} model {metric.params['model']}; load + warm-up {warm_up:.1f} s\n"
            f"  batched:        {len(items) / batched_s:7.1f} pairs/s (median of {ROUNDS}: {batched_s:.2f} s)\n"
            f"  one at a time:  {len(items) / single_s:7.1f} pairs/s (median of {ROUNDS}: {single_s:.2f} s)\n"
            f"  speed-up {single_s / batched_s:.1f}x; largest score difference {difference:.1e}"
        )


def compare(metric: Metric, items: list[ScoringItem]) -> tuple[float, float, float]:
    """Median seconds batched and one pair per call, and the largest difference between their scores."""
    batched_times, single_times = [], []
    for _ in range(ROUNDS):
        batched_s, batched = timed(lambda: metric.score(items))
        single_s, single = timed(lambda: [metric.score([item])[0] for item in items])
        batched_times.append(batched_s)
        single_times.append(single_s)
    difference = max(abs(a - b) for a, b in zip(batched, single, strict=True))
    return median(batched_times), median(single_times), difference


def timed(run: Callable[[], list[float | None]]) -> tuple[float, list[float | None]]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


if __name__ == "__main__":
    main()
