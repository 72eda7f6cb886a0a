"""Paired statistical tests of every variant against its baseline, and down the ladder.

For each (variant, task, metric), on the units both arms completed (an item, or a request
whose templates are averaged into one unit, see :mod:`qframe.analysis.data`):

- binary outcomes (every value 0 or 1): McNemar (exact below the discordant-pair limit) and the
  delta's Tango score CI;
- bounded outcomes (item means of 0/1 outcomes: repetitions that disagree, a request's
  templates): the paired t-test and :func:`qframe.analysis.stats.bounded_interval`, the span of
  Tango's score interval on fractional discordance and the t interval, which never claims more
  certainty than the binary interval with the same discordance;
- continuous outcomes (metric values): paired t-test, paired Cohen's d, the delta's seeded
  paired bootstrap CI, and the t interval for decisions (no spread: no decision);
- every kind: where items carry a cluster (MMLU subject, harm category...) and there are at
  least two clusters, a cluster bootstrap; ``evidence_low``/``evidence_high`` span the item
  CI and the cluster CI at ``confidence`` (the interval labels are judged on).

Equivalence and non-inferiority are tests at level ``alpha`` read from one interval, the
``1 - 2·alpha`` decision interval (``equivalence_ci_low``/``high``: Tango, bounded or t, widened
to the cluster bootstrap's span at the same level): ``equivalent`` when it lies inside
±margin (TOST), ``not_equivalent`` when wholly outside, else ``inconclusive``; non-inferior when
its lower end lies above -margin (one-sided at ``alpha``). So an equivalent variant is always
non-inferior. The margin is in accuracy points (``equivalence_margin_pp``), so only binary and
bounded rows get an equivalence verdict; a continuous metric's (ROUGE, output length...) is
None: it has no margin in its own units. ``tost_p`` is the item-level TOST p-value (without the cluster widening).
``factor``/``min_factor`` give the items needed to tell a true difference ``d`` apart at the
analysis' alpha and power: ``max(factor / d², min_factor / |d|)``. Bootstraps are seeded with
the experiment's seed.

p-values are Holm-corrected within each family of tests: one (model family, task, metric) across
its variants. Pooled benchmark rows use task ``*``. Adjacent-level tests compare each rung of a
family's ladder (ordered by bits per weight, highest first) with the next one down.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from statistics import fmean, stdev
from typing import Any

from qframe.analysis import stats
from qframe.analysis.data import POOLED, DrawOrder, RunData, paired
from qframe.analysis.stats.sequential import paired_difference_cs
from qframe.config import AnalysisSection


def _is_binary(values: Sequence[float]) -> bool:
    return all(v in (0.0, 1.0) for v in values)


def compare_pair(
    base: Mapping[Any, float],
    other: Mapping[Any, float],
    settings: AnalysisSection,
    cluster_of: Callable[[Any], str | None] | None = None,
    boot: stats.DeltaCI | None = None,
    seed: int = 42,
    bounded: bool = False,
    order: DrawOrder | None = None,
) -> dict[str, Any] | None:
    """All tests of one metric between two arms; None when fewer than two shared units.

    ``bounded`` says the values are means of 0/1 outcomes (see the module docstring). ``boot``
    is the paired bootstrap of these arms when it was computed already (in a batch); ``seed``
    seeds the bootstraps (the experiment's seed). ``order`` (a run that stops when decided)
    replaces every interval a label or verdict reads by a confidence sequence over the units in
    draw order (:func:`sequence_intervals`).
    """
    keys, a, b = paired(base, other)
    if len(keys) < 2:
        return None
    binary = _is_binary(a) and _is_binary(b)
    kind = "binary" if binary else "bounded" if bounded else "continuous"
    differences = [y - x for x, y in zip(a, b, strict=True)]
    decision_level = 1 - 2 * settings.alpha
    row: dict[str, Any] = {
        "n": len(keys),
        "kind": kind,
        "base_mean": fmean(a),
        "variant_mean": fmean(b),
        "delta": fmean(differences),
        "sd_diff": stdev(differences),
        "decision_level": decision_level,
    }
    margin = settings.equivalence_margin_pp / 100
    if binary:
        mcnemar = stats.mcnemar_test(a, b)
        interval = stats.tango_interval(mcnemar.b01, mcnemar.b10, len(keys), settings.confidence)
        decision = stats.tango_interval(mcnemar.b01, mcnemar.b10, len(keys), decision_level)
        tost_p = stats.equivalence_paired_binary(mcnemar.b01, mcnemar.b10, len(keys), margin, settings.alpha).p_value
        row |= {"ci_method": "tango_score", "test": "mcnemar_exact" if mcnemar.exact else "mcnemar_chi2",
                "p_value": mcnemar.p_value, "lost": mcnemar.b10, "gained": mcnemar.b01}
    else:
        t_test = stats.paired_t_test(a, b)
        tost = stats.tost_paired(a, b, margin=margin, alpha=settings.alpha)
        tost_p = tost.p_value
        row |= {"test": "paired_t", "p_value": t_test.p_value, "cohens_d": stats.cohens_d_paired(a, b)}
        if bounded:
            interval = stats.bounded_interval(differences, settings.confidence)
            decision = stats.bounded_interval(differences, decision_level)
            row |= {"ci_method": "bounded_score_t", "lost": sum(max(-d, 0.0) for d in differences),
                    "gained": sum(max(d, 0.0) for d in differences)}
        else:
            if boot is None:
                boot = stats.paired_bootstrap_delta(a, b, settings.bootstrap_resamples, settings.confidence, seed=seed)
            interval, decision = boot, stats.Interval(tost.low, tost.high)
            row["ci_method"] = "paired_bootstrap"
    row |= {"ci_low": interval.low, "ci_high": interval.high, "tost_p": tost_p,
            "evidence_low": interval.low, "evidence_high": interval.high,
            "equivalence_ci_low": decision.low, "equivalence_ci_high": decision.high}
    if order is not None:
        row |= sequence_intervals(keys, a, b, order, settings)
    elif cluster_of is not None:
        groups = [cluster_of(key) for key in keys]
        if all(groups) and len(set(groups)) > 1:
            cluster, cluster_decision = stats.cluster_bootstrap_deltas(
                a, b, groups, settings.bootstrap_resamples, (settings.confidence, decision_level), seed=seed
            )
            row |= {
                "cluster_ci_low": cluster.low,
                "cluster_ci_high": cluster.high,
                "clusters": len(set(groups)),
                "evidence_low": min(row["ci_low"], cluster.low),
                "evidence_high": max(row["ci_high"], cluster.high),
                "equivalence_ci_low": min(decision.low, cluster_decision.low),
                "equivalence_ci_high": max(decision.high, cluster_decision.high),
            }
    if kind == "continuous" or row["equivalence_ci_low"] is None:
        verdict = None  # the margin is in accuracy points; a metric in other units has none to judge by
    else:
        verdict = stats.verdict_from_interval(row["equivalence_ci_low"], row["equivalence_ci_high"], margin)
    from qframe.analysis.planning import planning_factors  # planning reads this module's targets

    row |= {"equivalence": verdict, "equivalent": verdict == "equivalent"} | planning_factors(row, settings)
    return row


def sequence_intervals(
    keys: Sequence[Any], a: Sequence[float], b: Sequence[float], order: DrawOrder, settings: AnalysisSection
) -> dict[str, Any]:
    """The intervals of a paired row as anytime-valid confidence sequences (betting, see
    :mod:`qframe.analysis.stats.sequential`, tuned to the run's horizon) of the per-unit
    differences in draw order: at
    ``confidence`` for labels, at ``1 - 2·alpha`` for equivalence and non-inferiority.

    Clusters are strata of the draw (every look holds each cluster in its share), so no
    bootstrap widening applies. Values outside [0, 1] have no bound the sequence could use:
    they get no interval (None), and every label or verdict they feed stays inconclusive.
    """
    method = {"ci_method": "confidence_sequence"}
    if min(*a, *b) < 0 or max(*a, *b) > 1:
        return method | dict.fromkeys(("ci_low", "ci_high", "evidence_low", "evidence_high",
                                       "equivalence_ci_low", "equivalence_ci_high"))
    ranked = [y - x for _, x, y in sorted(zip(keys, a, b, strict=True), key=lambda kab: order.place(kab[0]))]
    labels = paired_difference_cs(ranked, 1 - settings.confidence, order.horizon)[-1]
    decision = paired_difference_cs(ranked, 2 * settings.alpha, order.horizon)[-1]
    return method | {
        "ci_low": labels.low, "ci_high": labels.high, "evidence_low": labels.low, "evidence_high": labels.high,
        "equivalence_ci_low": decision.low, "equivalence_ci_high": decision.high,
    }


def cluster_of(data: RunData, task: str) -> Callable[[Any], str | None]:
    """Unit key of one task's outcomes (or of pooled outcomes) -> its cluster, if any.

    Pooled items fall back on their task as the cluster where the task sets no group.
    """
    return lambda key: data.cluster(task, key)


def metric_targets(data: RunData, settings: AnalysisSection) -> list[tuple[str, str]]:
    targets = list(data.metric_keys)
    if len(data.pool_members(settings.benchmark_metric)) > 1:
        targets.append((POOLED, settings.benchmark_metric))
    return targets


def _batched_bootstraps(
    pairs: Mapping[Any, tuple[Mapping[Any, float], Mapping[Any, float]]], settings: AnalysisSection, seed: int
) -> dict[Any, stats.DeltaCI]:
    """Bootstrap CIs of many (baseline, other) pairs, one matrix product per shared item list."""
    batches: dict[tuple[Any, ...], list[tuple[Any, list[float], list[float]]]] = {}
    for name, (base, other) in pairs.items():
        keys, a, b = paired(base, other)
        if len(keys) > 1 and not (_is_binary(a) and _is_binary(b)):  # binary rows use the score CI
            batches.setdefault(tuple(keys), []).append((name, a, b))
    results: dict[Any, stats.DeltaCI] = {}
    for members in batches.values():
        cis = stats.paired_bootstrap_deltas(
            [(a, b) for _, a, b in members], settings.bootstrap_resamples, settings.confidence, seed=seed
        )
        results.update(zip((name for name, _, _ in members), cis, strict=True))
    return results


def compare_to_baselines(data: RunData, settings: AnalysisSection, seed: int = 42) -> list[dict[str, Any]]:
    """Every non-baseline variant against its family's baseline, every metric; Holm-adjusted."""
    rows = []
    for task, metric in metric_targets(data, settings):
        pairs = {
            variant: (data.outcomes(baseline, task, metric), data.outcomes(variant, task, metric))
            for variant, baseline in data.baseline_of.items()
            if variant != baseline
        }
        bounded = data.from_binary(task, metric)
        boots = {} if bounded else _batched_bootstraps(pairs, settings, seed)
        clusters, order = cluster_of(data, task), data.draw_order(task)
        for variant, (base, other) in pairs.items():
            result = compare_pair(base, other, settings, clusters, boots.get(variant), seed, bounded, order)
            if result is not None:
                rows.append({"family": data.family(variant), "variant": variant, "baseline": data.baseline_of[variant],
                             "task": task, "metric": metric} | result)
    holm_adjust(rows)
    return rows


def ladder_order(data: RunData, family: str) -> list[str]:
    """A family's variants from the most bits per weight to the fewest (unknown bits last)."""
    members = [v for v in data.variants if data.family(v) == family]
    return sorted(members, key=lambda v: -(data.variants[v].get("bits_per_weight") or 0.0))


def adjacent_levels(data: RunData, settings: AnalysisSection, seed: int = 42) -> list[dict[str, Any]]:
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
    bounded = data.from_binary(POOLED, settings.benchmark_metric)
    boots = {} if bounded else _batched_bootstraps(steps, settings, seed)
    clusters, order = cluster_of(data, POOLED), data.draw_order(POOLED)
    for (family, higher, lower), (base, other) in steps.items():
        result = compare_pair(base, other, settings, clusters, boots.get((family, higher, lower)), seed, bounded, order)
        if result is not None:
            rows.append({"family": family, "variant": lower, "baseline": higher,
                         "task": POOLED, "metric": settings.benchmark_metric} | result)
    holm_adjust(rows)
    return rows


def holm_adjust(
    rows: list[dict[str, Any]], family: Callable[[Mapping[str, Any]], Any] = lambda row: (row["family"], row["task"], row["metric"])
) -> None:
    """Add ``p_holm`` to each row, adjusting within each ``family`` (default: model family, task, metric)."""
    adjusted = stats.holm_by_family({index: row["p_value"] for index, row in enumerate(rows)}, lambda index: family(rows[index]))
    for index, row in enumerate(rows):
        row["p_holm"] = adjusted[index]
