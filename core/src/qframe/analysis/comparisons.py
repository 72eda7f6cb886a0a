"""Paired statistical tests of every variant against its baseline, and down the ladder.

For each (variant, task, metric), on the items both arms completed:

- binary outcomes (every value 0 or 1): McNemar (exact below the discordant-pair limit), TOST
  equivalence within the configured margin, and the minimum detectable effect at the configured
  power for this sample size and observed discordance;
- continuous outcomes: paired t-test and paired Cohen's d;
- both: the delta with a seeded paired bootstrap CI, and, where items carry a cluster (MMLU
  subject), a cluster bootstrap CI.

p-values are Holm-corrected within each family of tests: one (model family, task, metric) across
its variants. Pooled benchmark rows use task ``*``. Adjacent-level tests compare each rung of a
family's ladder (ordered by bits per weight, highest first) with the next one down.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from qframe.analysis import stats
from qframe.analysis.data import POOLED, RunData, paired
from qframe.config import AnalysisSection


def _is_binary(values: Sequence[float]) -> bool:
    return all(v in (0.0, 1.0) for v in values)


def compare_pair(
    base: Mapping[Any, float],
    other: Mapping[Any, float],
    settings: AnalysisSection,
    cluster_of: Callable[[Any], str | None] | None = None,
    boot: stats.DeltaCI | None = None,
) -> dict[str, Any] | None:
    """All tests of one metric between two arms; None when fewer than two shared items.

    ``boot`` is the paired bootstrap of these arms when it was computed already (in a batch).
    """
    keys, a, b = paired(base, other)
    if len(keys) < 2:
        return None
    binary = _is_binary(a) and _is_binary(b)
    if boot is None:
        boot = stats.paired_bootstrap_delta(a, b, settings.bootstrap_resamples, settings.confidence, seed=42)
    row: dict[str, Any] = {
        "n": len(keys),
        "kind": "binary" if binary else "continuous",
        "base_mean": sum(a) / len(a),
        "variant_mean": sum(b) / len(b),
        "delta": boot.delta,
        "ci_low": boot.low,
        "ci_high": boot.high,
    }
    if binary:
        mcnemar = stats.mcnemar_test(a, b)
        margin = settings.equivalence_margin_pp / 100
        tost = stats.tost_paired(a, b, margin=margin, alpha=settings.alpha)
        discordant = (mcnemar.b01 + mcnemar.b10) / len(keys)
        row |= {
            "test": "mcnemar_exact" if mcnemar.exact else "mcnemar_chi2",
            "p_value": mcnemar.p_value,
            "lost": mcnemar.b10,
            "gained": mcnemar.b01,
            "tost_p": tost.p_value,
            "equivalent": tost.equivalent,
            "mde_pp": _mde(len(keys), row["base_mean"], discordant, settings),
        }
    else:
        t_test = stats.paired_t_test(a, b)
        row |= {"test": "paired_t", "p_value": t_test.p_value, "cohens_d": stats.cohens_d_paired(a, b)}
    if cluster_of is not None:
        groups = [cluster_of(key) for key in keys]
        if all(groups) and len(set(groups)) > 1:
            cluster = stats.cluster_bootstrap_delta(a, b, groups, settings.bootstrap_resamples, settings.confidence, seed=42)
            row |= {"cluster_ci_low": cluster.low, "cluster_ci_high": cluster.high, "clusters": len(set(groups))}
    return row


def _mde(n: int, base_rate: float, discordant_rate: float, settings: AnalysisSection) -> float | None:
    """Smallest detectable accuracy change (pp); undefined at a baseline rate of 0 or 1."""
    if not 0 < base_rate < 1:
        return None
    return stats.minimum_detectable_effect(n, base_rate, settings.alpha, settings.power, discordant_rate or None)


def _cluster_of(data: RunData, task: str) -> Callable[[Any], str | None]:
    """Item key of one task's outcomes (or of pooled outcomes) -> the item's cluster, if any."""
    if task == POOLED:
        return lambda key: data.groups.get((key[0], key[1]))
    return lambda key: data.groups.get((task, key[0]))


def _metric_targets(data: RunData, settings: AnalysisSection) -> list[tuple[str, str]]:
    targets = list(data.metric_keys)
    if sum(1 for _, metric in targets if metric == settings.benchmark_metric) > 1:
        targets.append((POOLED, settings.benchmark_metric))
    return targets


def _batched_bootstraps(
    pairs: Mapping[Any, tuple[Mapping[Any, float], Mapping[Any, float]]], settings: AnalysisSection
) -> dict[Any, stats.DeltaCI]:
    """Bootstrap CIs of many (baseline, other) pairs, one matrix product per shared item list."""
    batches: dict[tuple[Any, ...], list[tuple[Any, list[float], list[float]]]] = {}
    for name, (base, other) in pairs.items():
        keys, a, b = paired(base, other)
        if len(keys) > 1:
            batches.setdefault(tuple(keys), []).append((name, a, b))
    results: dict[Any, stats.DeltaCI] = {}
    for members in batches.values():
        cis = stats.paired_bootstrap_deltas(
            [(a, b) for _, a, b in members], settings.bootstrap_resamples, settings.confidence, seed=42
        )
        results.update(zip((name for name, _, _ in members), cis, strict=True))
    return results


def compare_to_baselines(data: RunData, settings: AnalysisSection) -> list[dict[str, Any]]:
    """Every non-baseline variant against its family's baseline, every metric; Holm-adjusted."""
    rows = []
    for task, metric in _metric_targets(data, settings):
        pairs = {
            variant: (data.outcomes(baseline, task, metric), data.outcomes(variant, task, metric))
            for variant, baseline in data.baseline_of.items()
            if variant != baseline
        }
        boots = _batched_bootstraps(pairs, settings)
        clusters = _cluster_of(data, task)
        for variant, (base, other) in pairs.items():
            result = compare_pair(base, other, settings, clusters, boots.get(variant))
            if result is not None:
                rows.append({"family": data.family(variant), "variant": variant, "baseline": data.baseline_of[variant],
                             "task": task, "metric": metric} | result)
    holm_adjust(rows)
    return rows


def ladder_order(data: RunData, family: str) -> list[str]:
    """A family's variants from the most bits per weight to the fewest (unknown bits last)."""
    members = [v for v in data.variants if data.family(v) == family]
    return sorted(members, key=lambda v: -(data.variants[v].get("bits_per_weight") or 0.0))


def adjacent_levels(data: RunData, settings: AnalysisSection) -> list[dict[str, Any]]:
    """Each rung against the next one down its ladder, on the pooled benchmark metric."""
    rows = []
    steps = {
        (family, higher, lower): (
            data.outcomes(higher, POOLED, settings.benchmark_metric),
            data.outcomes(lower, POOLED, settings.benchmark_metric),
        )
        for family in dict.fromkeys(data.family(v) for v in data.variants)
        for higher, lower in pairwise(ladder_order(data, family))
    }
    boots = _batched_bootstraps(steps, settings)
    for (family, higher, lower), (base, other) in steps.items():
        result = compare_pair(base, other, settings, boot=boots.get((family, higher, lower)))
        if result is not None:
            rows.append({"family": family, "variant": lower, "baseline": higher,
                         "task": POOLED, "metric": settings.benchmark_metric} | result)
    holm_adjust(rows)
    return rows


def holm_adjust(rows: list[dict[str, Any]]) -> None:
    """Add ``p_holm`` to each row, adjusting within (family, task, metric)."""
    adjusted = stats.holm_by_family(
        {index: row["p_value"] for index, row in enumerate(rows)},
        lambda index: (rows[index]["family"], rows[index]["task"], rows[index]["metric"]),
    )
    for index, row in enumerate(rows):
        row["p_holm"] = adjusted[index]
