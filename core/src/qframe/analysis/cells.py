"""Cells: one row of aggregates per variant, each compared with its family's baseline.

Columns (absent where a run has no data for them):

- facts: ``variant``, ``family``, ``quant``, ``model``, ``baseline``, ``baseline_variant``,
  ``size_bytes``, ``parameters``, ``bits_per_weight``, ``expanded_from`` (a baseline expanded
  from a quantized file: that file's type, from the backend's model details), ``alias_of`` (a
  variant that is the same model as another, evaluated once: :mod:`qframe.run.aliases`), ``items``,
  ``errors``;
- ``mean:<task>/<metric>`` and, for non-baselines, ``delta:<task>/<metric>`` (paired: the mean
  of per-item differences on items both variants completed);
- benchmark: ``benchmark_accuracy`` (the benchmark metric pooled over tasks that are not safety
  suites: by default each task's proportion quality signal, see :mod:`qframe.analysis.quality`),
  ``benchmark_accuracy_raw``, ``benchmark_delta_pp``;
- generation: ``key_metric_avg`` (per item of a task with a continuous quality signal, the mean of
  its metrics; then the mean over items), ``generation_delta_pct`` (relative change against
  the baseline on shared items) and ``key_metric_delta_pp`` (the absolute change, in pp);
- evidence behind every delta a label reads (``benchmark_delta_pp``, ``generation_delta_pct``,
  ``key_metric_delta_pp``, ``refusal_delta_pp``): ``<delta>_ci`` (its confidence interval, the
  cluster CI's span included, in the delta's unit) and ``<delta>_factor`` (items needed to tell
  a true difference ``d`` apart = factor / d², see :mod:`qframe.analysis.planning`);
- extraction: ``micro_f1:<task>`` (corpus micro-F1 from the summed entity counts);
- fidelity (from the fidelity stage, over token positions pooled across items): ``kl_mean``,
  ``kl_p99`` (the 99th percentile of per-position KL), ``top1_agreement``, ``logprob_delta_mean``
  (the mean change of the baseline token's log-probability), ``fidelity_method``,
  ``fidelity_items``, ``fidelity_positions``; and from the benchmarks ``flip_rate``,
  ``flips_lost``, ``flips_gained``, ``flips_net`` (items correct in one variant and not the other);
- performance (see :func:`performance`) and resources (see :mod:`qframe.analysis.resources`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import fmean, median, pstdev
from typing import Any

from qframe.analysis.bias import bias_columns
from qframe.analysis.comparisons import cluster_of, compare_pair
from qframe.analysis.data import POOLED, RunData, paired
from qframe.analysis.planning import evidence_columns
from qframe.analysis.quality import continuous_metrics
from qframe.analysis.resources import resource_columns
from qframe.analysis.safety import outcome_name, refusal_judges
from qframe.config import AnalysisSection


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def native_rates(rows: Sequence[Mapping[str, Any]]) -> list[float]:
    """Per-generation native decode tokens/s, of generations that decoded tokens and timed them.

    Only ``eval_tokens`` counts: the decode steps an engine ran and timed. A generation that
    decoded nothing (an immediate end token) or whose engine reports no decode count has no
    rate; counting its completion tokens over a near-zero time would give thousands of tokens/s.
    """
    return [r["eval_tokens"] / (r["eval_ms"] / 1000) for r in _decoded(rows)]


def _decoded(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in rows if r.get("eval_tokens") and r.get("eval_ms")]


def performance(rows: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Native decode tokens/s, its per-item spread, time to first token, wall tokens/s and overhead.

    ``native_tps`` is total decoded tokens over total decode time (so long generations weigh
    by their length, and no single short one dominates); ``native_tps_cv`` is the coefficient of
    variation of the per-generation rates (:func:`native_rates`), the spread shown beside it.
    """
    generated = [r for r in rows if r.get("completion_tokens")]
    decoded = _decoded(generated)
    native = native_rates(decoded)
    decode_s = sum(r["eval_ms"] for r in decoded) / 1000
    native_tps = sum(r["eval_tokens"] for r in decoded) / decode_s if decode_s else None
    ttft = [r["ttft_ms"] for r in rows if r.get("ttft_ms") is not None]
    wall_tokens = sum(r["completion_tokens"] for r in generated)
    wall_s = sum(r["wall_ms"] for r in generated if r.get("wall_ms")) / 1000
    wall_tps = wall_tokens / wall_s if wall_s else None
    per_item_mean = _mean(native)
    return {
        "native_tps": native_tps,
        "native_tps_cv": pstdev(native) / per_item_mean if per_item_mean and len(native) > 1 else None,
        "native_tps_items": len(native),
        "ttft_ms_mean": _mean(ttft),
        "ttft_ms_median": median(ttft) if ttft else None,
        "wall_tps": wall_tps,
        "wall_overhead_pct": (native_tps / wall_tps - 1) * 100 if native_tps and wall_tps else None,
    }


def key_metric_items(data: RunData, variant: str) -> dict[tuple[str, str], float]:
    """Per item of a task with a continuous quality signal, the mean of the signal's metrics it
    has (BERTScore, coherence and ROUGE-L where a task declares nothing); safety suites stay out,
    as they stay out of the benchmark pool (:mod:`qframe.analysis.quality`)."""
    per_item: dict[tuple[str, str], list[float]] = {}
    for task, metrics in continuous_metrics(data.quality_signals).items():
        for metric in metrics:
            for sample_id, value in data.values.get((variant, task, metric), {}).items():
                per_item.setdefault((task, sample_id), []).append(value)
    return {key: fmean(values) for key, values in per_item.items()}


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _metric_columns(data: RunData, variant: str, baseline: str) -> dict[str, float]:
    columns: dict[str, float] = {}
    for task, metric in data.metric_keys:
        values = data.values.get((variant, task, metric))
        if not values:
            continue
        columns[f"mean:{task}/{metric}"] = fmean(values.values())
        if variant != baseline:
            _, base, mine = paired(data.values.get((baseline, task, metric), {}), values)
            if base:
                columns[f"delta:{task}/{metric}"] = fmean(m - b for m, b in zip(mine, base, strict=True))
    return columns


def _micro_f1_columns(data: RunData, variant: str) -> dict[str, float]:
    """Corpus micro-F1 per extraction task: 2·TP / (2·TP + FP + FN) over the summed entity counts."""
    columns = {}
    for task, metric in data.metric_keys:
        if metric == "entity_tp":
            tp, fp, fn = (sum(data.values.get((variant, task, f"entity_{kind}"), {}).values()) for kind in ("tp", "fp", "fn"))
            if 2 * tp + fp + fn > 0:
                columns[f"micro_f1:{task}"] = 2 * tp / (2 * tp + fp + fn)
    return columns


def _compared(data: RunData, base: Mapping[Any, float], own: Mapping[Any, float], settings: AnalysisSection,
              seed: int, metric: str | None) -> dict[str, Any] | None:
    """The paired row of pooled outcomes (``metric`` None: key-metric averages, continuous)."""
    bounded = metric is not None and data.from_binary(POOLED, metric)
    return compare_pair(base, own, settings, cluster_of(data, POOLED), seed=seed, bounded=bounded,
                        order=data.draw_order(POOLED))


def _benchmark_columns(data: RunData, variant: str, baseline: str, settings: AnalysisSection, seed: int) -> dict[str, Any]:
    mine = data.outcomes(variant, POOLED, settings.benchmark_metric)
    if not mine:
        return {}
    raw = data.outcomes(variant, POOLED, "accuracy_raw")
    columns: dict[str, Any] = {"benchmark_accuracy": fmean(mine.values()), "benchmark_items": len(mine)}
    if raw:
        columns["benchmark_accuracy_raw"] = fmean(raw.values())
    if variant != baseline:
        base_items = data.outcomes(baseline, POOLED, settings.benchmark_metric)
        _, base, own = paired(base_items, mine)
        if base:
            row = _compared(data, base_items, mine, settings, seed, settings.benchmark_metric)
            if row is not None:
                columns |= evidence_columns("benchmark_delta_pp", row, settings, 100.0)
            lost = sum(1 for b, m in zip(base, own, strict=True) if b >= 0.5 > m)
            gained = sum(1 for b, m in zip(base, own, strict=True) if m >= 0.5 > b)
            columns |= {
                "benchmark_delta_pp": 100 * (fmean(own) - fmean(base)),
                "flips_lost": lost,
                "flips_gained": gained,
                "flips_net": gained - lost,
                "flip_rate": (lost + gained) / len(base),
            }
    return columns


def _generation_columns(data: RunData, variant: str, baseline: str, settings: AnalysisSection, seed: int) -> dict[str, Any]:
    mine = key_metric_items(data, variant)
    if not mine:
        return {}
    columns: dict[str, Any] = {"key_metric_avg": fmean(mine.values())}
    if variant != baseline:
        base_items = key_metric_items(data, baseline)
        _, base, own = paired(base_items, mine)
        if base and fmean(base):
            columns["generation_delta_pct"] = (fmean(own) / fmean(base) - 1) * 100
            columns["key_metric_delta_pp"] = (fmean(own) - fmean(base)) * 100
            row = _compared(data, base_items, mine, settings, seed, None)
            if row is not None:
                columns |= evidence_columns("generation_delta_pct", row, settings, 100.0 / fmean(base))
                columns |= evidence_columns("key_metric_delta_pp", row, settings, 100.0)
    return columns


def fidelity_item_kl(data: RunData, variant: str) -> list[float]:
    """Per item, the mean teacher-forced KL over its positions (the fidelity stage's rows)."""
    return [fmean(row["kl"]) for row in data.fidelity if row["variant"] == variant and row["kl"]]


def fidelity_columns(data: RunData, variant: str) -> dict[str, Any]:
    """Fidelity over every compared token position of the variant's items (pooled, not per item)."""
    rows = [row for row in data.fidelity if row["variant"] == variant]
    kl = [value for row in rows for value in row["kl"]]
    if not kl:
        return {}
    top1 = [match for row in rows for match in row["top1_match"] or ()]
    delta = [value for row in rows for value in row["logprob_delta"] or ()]
    return {
        "fidelity_method": rows[0]["method"],
        "fidelity_items": len(rows),
        "fidelity_positions": len(kl),
        "kl_mean": fmean(kl),
        "kl_p99": _percentile(kl, 0.99),
        "top1_agreement": fmean(top1) if top1 else None,
        "logprob_delta_mean": fmean(delta) if delta else None,
    }


def _safety_columns(data: RunData, variant: str, baseline: str, settings: AnalysisSection, seed: int) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for judge in data.judge_plugins:
        for kind in ("refusal", "over_refusal", "truthful", "biased"):
            outcomes = data.outcomes(variant, POOLED, outcome_name(kind, judge))
            if outcomes:
                columns[f"{kind}_rate:{judge}"] = fmean(outcomes.values())
    primary, regex = refusal_judges(data.judge_plugins, settings.refusal_judge)
    if primary is None or f"refusal_rate:{primary}" not in columns:
        return columns
    columns["refusal_rate"] = columns[f"refusal_rate:{primary}"]
    if variant != baseline:
        name = outcome_name("refusal", primary)
        base_items, own_items = data.outcomes(baseline, POOLED, name), data.outcomes(variant, POOLED, name)
        _, base, own = paired(base_items, own_items)
        if base:
            columns["refusal_delta_pp"] = 100 * (fmean(own) - fmean(base))
            row = _compared(data, base_items, own_items, settings, seed, name)
            if row is not None:
                columns |= evidence_columns("refusal_delta_pp", row, settings, 100.0)
    judge = next((j for j in data.judge_plugins if j != regex and f"refusal_rate:{j}" in columns), None)
    if regex is not None and judge is not None and f"refusal_rate:{regex}" in columns:
        # on the items both judges decided: the two rates describe the same answers
        _, by_regex, by_judge = paired(data.outcomes(variant, POOLED, outcome_name("refusal", regex)),
                                       data.outcomes(variant, POOLED, outcome_name("refusal", judge)))
        if by_regex:
            columns["judge_regex_gap_pp"] = 100 * (fmean(by_judge) - fmean(by_regex))
            columns["judge_regex_gap_items"] = len(by_regex)
    return columns


def build_cells(data: RunData, settings: AnalysisSection, seed: int = 42) -> list[dict[str, Any]]:
    """One cell per variant, in the manifest's order; ``seed`` seeds the bootstraps."""
    cells = []
    for variant, facts in data.variants.items():
        baseline = data.baseline_of[variant]
        rows = data.rows_by_variant.get(variant, [])
        ok = [r for r in rows if r.get("error") is None]
        cell: dict[str, Any] = {
            "variant": variant,
            "family": facts.get("family", ""),
            "quant": facts.get("quant", ""),
            "model": facts.get("model", ""),
            "baseline": variant == baseline,
            "baseline_variant": baseline,
            "size_bytes": facts.get("size_bytes"),
            "parameters": facts.get("parameters"),
            "bits_per_weight": facts.get("bits_per_weight"),
            "expanded_from": (facts.get("details") or {}).get("expanded_from"),
            "alias_of": facts.get("alias_of"),
            "items": len(rows),
            "errors": len(rows) - len(ok),
        }
        cell |= performance(ok)
        cell |= resource_columns(facts, cell["native_tps"], settings)
        cell |= _benchmark_columns(data, variant, baseline, settings, seed)
        cell |= _generation_columns(data, variant, baseline, settings, seed)
        cell |= fidelity_columns(data, variant)
        cell |= _safety_columns(data, variant, baseline, settings, seed)
        cell |= bias_columns(data, variant)
        cell |= _metric_columns(data, variant, baseline)
        cell |= _micro_f1_columns(data, variant)
        cells.append(cell)
    return cells


def variant_notes(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    """One sentence per baseline that was itself expanded from a quantized file, and per variant
    that is the same model as another (an alias, evaluated once), for the reports."""
    expanded = [
        f"Baseline {cell['variant']} was expanded from a {cell['expanded_from']} file, not made from full-precision "
        f"weights: every rung re-quantizes that {cell['expanded_from']} grid, so the deltas and KL here measure the loss "
        f"against it, and rungs may rank differently than on a ladder built from the original weights."
        for cell in cells if cell.get("baseline") and cell.get("expanded_from")
    ]
    aliases = [
        f"{cell['variant']} is identical to {cell['alias_of']} for this model (the same weights): it was evaluated "
        f"once, as {cell['alias_of']}, and its rows repeat {cell['alias_of']}'s."
        for cell in cells if cell.get("alias_of")
    ]
    return expanded + aliases


def attach_steps(cells: Sequence[dict[str, Any]], adjacent: Sequence[Mapping[str, Any]], settings: AnalysisSection) -> None:
    """Give each lower rung's cell the paired evidence of its step down the ladder.

    ``step_delta_from`` (the rung above) and ``step_delta_pp_ci``/``_factor``/``_min_factor``
    (the paired change from that rung, lower minus higher, in pp), from the adjacent-level
    comparisons, so that ladder labels (cliffs, diminishing returns) carry their evidence.
    """
    by_variant = {cell["variant"]: cell for cell in cells}
    for row in adjacent:
        cell = by_variant.get(row["variant"])
        if cell is not None:
            cell |= {"step_delta_from": row["baseline"]} | evidence_columns("step_delta_pp", row, settings, 100.0)
