"""Paired comparison of two runs on the items they share (same task and sample id; repetitions
of an item are averaged into one value first, see :mod:`qframe.analysis.data`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qframe.analysis.comparisons import compare_pair, holm_adjust
from qframe.analysis.data import RunData
from qframe.config import AnalysisSection


def compare_runs(
    first: RunData,
    second: RunData,
    settings: AnalysisSection,
    pairs: Sequence[tuple[str, str]] | None = None,
    seed: int = 42,
) -> list[dict[str, Any]]:
    """Each (variant of the first run, variant of the second) on every metric both have.

    Without ``pairs``, variants with the same id in both runs are compared. The first run is the
    reference arm: deltas are second minus first. ``seed`` seeds the bootstraps. ``p_holm`` is
    adjusted over every row of the comparison: one family, the tests the command prints.
    """
    if pairs is None:
        pairs = [(variant, variant) for variant in first.variants if variant in second.variants]
    unknown = [a for a, _ in pairs if a not in first.variants] + [b for _, b in pairs if b not in second.variants]
    if unknown:
        raise ValueError(f"variant {unknown[0]!r} is not in the run it was named for")
    metrics = sorted(set(first.metric_keys) & set(second.metric_keys))
    rows = []
    for variant_a, variant_b in pairs:
        for task, metric in metrics:
            bounded = first.from_binary(task, metric) and second.from_binary(task, metric)
            result = compare_pair(
                first.outcomes(variant_a, task, metric), second.outcomes(variant_b, task, metric), settings,
                seed=seed, bounded=bounded,
            )
            if result is not None:
                rows.append({"family": variant_a, "variant": variant_b, "baseline": variant_a,
                             "task": task, "metric": metric} | result)
    holm_adjust(rows, family=lambda row: ())
    return rows
