"""Evidence of classifier labels derived from the CIs of the deltas the classifiers read.

A label (``quality_tier``, ``safety_regime``) is a function of a cell's deltas. Each delta gets
its CI: the benchmark delta from the paired test row of the pooled benchmark outcome (cluster
CI where there is one), the refusal delta from a paired bootstrap of the primary judge's pooled
refusal outcomes, the generation delta (a relative change of the key-metric average) from a
paired percentile bootstrap of the ratio of means. The classifier is then asked again on every
combination of the CI ends and of its own thresholds inside the CIs (labels change only at
thresholds). The label is ``supported`` when every combination gives the same label, else
``inconclusive``. Items needed: the largest factor ``s`` by which every CI can shrink around
its point estimate while the label stays constant is found by bisection; a CI's width goes as
1/sqrt(n), so about ``n / s^2`` items decide it.

This is the fallback for analyses whose cells do not carry ``<label>_evidence`` themselves;
:mod:`qframe.analysis.evidence` prefers those keys when present.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import fmean
from typing import Any

from qframe.analysis import stats
from qframe.analysis.cells import key_metric_items
from qframe.analysis.data import POOLED, RunData, paired
from qframe.analysis.evidence import INCONCLUSIVE, SUPPORTED, binary_ci, row_ci
from qframe.analysis.safety import outcome_name, refusal_judges
from qframe.config import AnalysisSection
from qframe.protocols import Classifier

LABEL_INPUTS = {
    "quality_tier": ("benchmark_delta_pp", "generation_delta_pct"),
    "safety_regime": ("refusal_delta_pp", "benchmark_delta_pp", "generation_delta_pct"),
}
"""The per-cell labels whose evidence is derived here, and the deltas each may read (the first
with a CI is the one printed next to a supported label)."""

Interval = tuple[float, float, float, int]
"""(point estimate, CI low, CI high, items) of one delta."""


def _row_interval(rows: Sequence[Mapping[str, Any]], variant: str, metric: str) -> Interval | None:
    """From the paired test of ``metric`` (pooled over tasks, or its only task), in pp."""
    mine = [r for r in rows if r["variant"] == variant and r["metric"] == metric]
    row = next((r for r in mine if r["task"] == POOLED), mine[0] if len(mine) == 1 else None)
    if row is None:
        return None
    low, high = row_ci(row)
    return 100 * row["delta"], 100 * low, 100 * high, row["n"]


def _bootstrap_interval(base: Mapping[Any, float], mine: Mapping[Any, float], settings: AnalysisSection) -> Interval | None:
    """Delta of paired binary outcomes in pp, with a paired bootstrap CI."""
    _, a, b = paired(base, mine)
    if len(a) < 2:
        return None
    ci = stats.paired_bootstrap_delta(a, b, settings.bootstrap_resamples, settings.confidence, seed=42)
    lost = sum(1 for x, y in zip(a, b, strict=True) if x > y)
    gained = sum(1 for x, y in zip(a, b, strict=True) if y > x)
    low, high = binary_ci(ci.delta, ci.low, ci.high, len(a), lost, gained)  # see evidence.binary_ci
    return 100 * ci.delta, 100 * low, 100 * high, len(a)


def _ratio_interval(base: Mapping[Any, float], mine: Mapping[Any, float], settings: AnalysisSection) -> Interval | None:
    """Percent change of the mean (variant / baseline - 1) with a paired percentile bootstrap."""
    import numpy as np
    from scipy.stats import bootstrap

    _, a, b = paired(base, mine)
    if len(a) < 2 or not fmean(a):
        return None

    def change(x, y, axis=-1):
        return (np.mean(y, axis=axis) / np.mean(x, axis=axis) - 1) * 100

    result = bootstrap((np.asarray(a), np.asarray(b)), change, paired=True, vectorized=True, method="percentile",
                       n_resamples=settings.bootstrap_resamples, confidence_level=settings.confidence,
                       random_state=np.random.default_rng(42))
    low, high = result.confidence_interval
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return float(change(np.asarray(a), np.asarray(b))), float(low), float(high), len(a)


def delta_intervals(
    data: RunData, cell: Mapping[str, Any], comparisons: Sequence[Mapping[str, Any]], settings: AnalysisSection
) -> dict[str, Interval | None]:
    """The CI of each delta a label may read, for one non-baseline cell (None: no CI)."""
    variant, baseline = cell["variant"], cell["baseline_variant"]
    intervals: dict[str, Interval | None] = {}
    if cell.get("benchmark_delta_pp") is not None:
        intervals["benchmark_delta_pp"] = _row_interval(comparisons, variant, settings.benchmark_metric)
    if cell.get("generation_delta_pct") is not None:
        intervals["generation_delta_pct"] = _ratio_interval(
            key_metric_items(data, baseline), key_metric_items(data, variant), settings)
    if cell.get("refusal_delta_pp") is not None:
        primary, _ = refusal_judges(data.judge_plugins, settings.refusal_judge)
        name = outcome_name("refusal", primary)
        intervals["refusal_delta_pp"] = _bootstrap_interval(
            data.outcomes(baseline, POOLED, name), data.outcomes(variant, POOLED, name), settings)
    return intervals


def _thresholds(classifier: Classifier) -> list[float]:
    return [float(v) for v in getattr(classifier, "thresholds", {}).values() if isinstance(v, int | float)]


def _points(point: float, low: float, high: float, scale: float, thresholds: Sequence[float]) -> list[float]:
    """CI ends shrunk by ``scale`` around the point, plus each threshold inside and either side of it."""
    lo, hi = point + scale * (low - point), point + scale * (high - point)
    values = {lo, hi, point}
    for t in thresholds:
        if lo < t < hi:
            values |= {t - 1e-6, t, t + 1e-6}
    return sorted(values)


def _labels_within(classifier: Classifier, key: str, cell: Mapping[str, Any], intervals: Mapping[str, Interval],
                   scale: float) -> set[Any]:
    thresholds = _thresholds(classifier)
    combos: list[dict[str, float]] = [{}]
    for name, (point, low, high, _) in intervals.items():
        combos = [combo | {name: value} for combo in combos for value in _points(point, low, high, scale, thresholds)]
    probes = [dict(cell) | combo for combo in combos]
    return {labels.get(key) for labels in classifier.classify(probes)}


def label_evidence(
    classifier: Classifier, key: str, cell: Mapping[str, Any], intervals: Mapping[str, Interval | None]
) -> dict[str, Any]:
    """``{"status", "ci", "items_needed", "note"}`` of one label of one cell."""
    reads = {name: intervals[name] for name in LABEL_INPUTS[key] if name in intervals}
    if key == "safety_regime" and "benchmark_delta_pp" in reads:
        reads.pop("generation_delta_pct", None)  # the regime reads the benchmark delta when there is one
    missing = [name for name, interval in reads.items() if interval is None]
    if missing:
        return {"status": INCONCLUSIVE, "ci": None, "items_needed": None, "note": f"no CI for {', '.join(missing)}"}
    known: dict[str, Interval] = {name: iv for name, iv in reads.items() if iv is not None}
    relevant = {name: iv for name, iv in known.items() if len(_labels_within(classifier, key, cell, {name: iv}, 1.0)) > 1}
    ci = _headline_ci(known, relevant)
    if len(_labels_within(classifier, key, cell, known, 1.0)) == 1:
        return {"status": SUPPORTED, "ci": ci, "items_needed": None, "note": ""}
    low, high = 0.0, 1.0
    if len(_labels_within(classifier, key, cell, known, 1e-6)) > 1:
        return {"status": INCONCLUSIVE, "ci": ci, "items_needed": None, "note": "the estimate sits on a threshold"}
    for _ in range(25):
        middle = (low + high) / 2
        if len(_labels_within(classifier, key, cell, known, middle)) == 1:
            low = middle
        else:
            high = middle
    n = max(iv[3] for iv in known.values())
    return {"status": INCONCLUSIVE, "ci": ci, "items_needed": math.ceil(n / max(low, 1e-6) ** 2), "note": ""}


def _headline_ci(known: Mapping[str, Interval], relevant: Mapping[str, Interval]) -> list[float] | None:
    """The CI shown next to a label: of the delta whose uncertainty matters (first such), in its unit."""
    chosen = relevant or known
    if not chosen:
        return None
    _, low, high, _ = next(iter(chosen.values()))
    return [low, high]


def derive_evidence(
    data: RunData,
    cells: Sequence[Mapping[str, Any]],
    comparisons: Sequence[Mapping[str, Any]],
    settings: AnalysisSection,
    classifiers: Sequence[Classifier],
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{"labels": {variant: {label key: evidence}}, "intervals": {variant: {delta: [point, low, high, n]}}}``
    for every non-baseline cell and label in :data:`LABEL_INPUTS`."""
    owners = {key: c for c in classifiers for key in LABEL_INPUTS if getattr(c, "name", None) == key}
    labels: dict[str, dict[str, Any]] = {}
    all_intervals: dict[str, dict[str, Any]] = {}
    for cell in cells:
        if cell.get("baseline"):
            continue
        intervals = delta_intervals(data, cell, comparisons, settings)
        all_intervals[cell["variant"]] = {name: list(iv) for name, iv in intervals.items() if iv is not None}
        labels[cell["variant"]] = {
            key: label_evidence(classifier, key, cell, intervals)
            for key, classifier in owners.items()
            if cell.get(key) is not None
        }
    return {"labels": labels, "intervals": all_intervals}
