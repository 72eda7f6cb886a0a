"""Sample-size planning: one minimum detectable effect per task and metric, and items needed.

A paired 0/1 comparison has per-item differences of variance close to the discordance (the
share of items on which the arms disagree). Planning needs that figure before the run: it is
``analysis.expected_discordance`` when configured, else ``2·p·(1-p)`` at the baseline's rate
``p`` (arms that disagree as often as independent ones would: the conservative assumption).
The same stated figure serves every variant of a task, so variants with the same items and
baseline get the same planning figure. Continuous outcomes use the observed variance of the
per-item differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import fmean
from typing import Any

from qframe.analysis import stats
from qframe.analysis.comparisons import metric_targets
from qframe.analysis.data import RunData
from qframe.config import AnalysisSection


def planning_discordance(base_rate: float, settings: AnalysisSection) -> tuple[float, str]:
    """(expected discordance, where it comes from) for a binary outcome at ``base_rate``."""
    if settings.expected_discordance is not None:
        return settings.expected_discordance, "configured"
    return 2 * base_rate * (1 - base_rate), "independent arms"


def difference_variance(row: Mapping[str, Any], settings: AnalysisSection) -> float:
    """Variance of one per-item difference behind a label's items needed.

    Binary and bounded (item means of 0/1 outcomes): the larger of the planning discordance and
    the discordance observed in this comparison, ``(lost + gained) / n`` (fractional for bounded
    outcomes; it bounds their variance from above); a baseline at a rate of 0 or 1 plans no
    discordance, yet its variant may flip items. Continuous: the observed variance of the
    differences.
    """
    if row["kind"] in ("binary", "bounded"):
        observed = (row["lost"] + row["gained"]) / row["n"]
        return max(planning_discordance(row["base_mean"], settings)[0], observed)
    return row["sd_diff"] ** 2


def planning_factors(row: Mapping[str, Any], settings: AnalysisSection) -> dict[str, float]:
    """``factor`` (and for 0/1-based outcomes ``min_factor``) of a paired row, in its own units:
    items to tell a true difference ``d`` apart at the analysis' alpha and power =
    ``max(factor / d², min_factor / |d|)``. A true difference ``d`` needs at least a share
    ``|d|`` of discordant items, so the variance of a per-item difference is at least about
    ``|d|`` even where none was observed or planned."""
    power_factor = stats.power_factor(settings.alpha, settings.power)
    factors = {"factor": power_factor * difference_variance(row, settings)}
    if row["kind"] in ("binary", "bounded"):
        factors["min_factor"] = power_factor
    return factors


def evidence_columns(name: str, row: Mapping[str, Any], settings: AnalysisSection, scale: float) -> dict[str, Any]:
    """``<name>_ci`` (the interval labels are judged on), ``<name>_factor`` and, for 0/1-based
    outcomes, ``<name>_min_factor``: the row's own (:func:`planning_factors`) in the units of the
    delta times ``scale``."""
    factors = planning_factors(row, settings)
    low, high = row["evidence_low"], row["evidence_high"]
    columns = {
        f"{name}_ci": None if low is None else [low * scale, high * scale],
        f"{name}_factor": factors["factor"] * scale**2,
    }
    if "min_factor" in factors:
        columns[f"{name}_min_factor"] = factors["min_factor"] * abs(scale)
    return columns


def planning_row(n: int, base_rate: float, settings: AnalysisSection) -> dict[str, Any]:
    """The planning figure of a binary outcome measured on ``n`` items at ``base_rate``."""
    discordance, source = planning_discordance(base_rate, settings)
    margin = settings.equivalence_margin_pp / 100
    return {
        "n": n,
        "baseline_rate": base_rate,
        "discordance": discordance,
        "discordance_source": source,
        "mde_pp": stats.minimum_detectable_effect(n, base_rate, settings.alpha, settings.power, discordance) if n > 1 else None,
        "items_for_margin": stats.items_needed(margin, discordance, settings.alpha, settings.power),
    }


def planning_table(data: RunData, settings: AnalysisSection) -> list[dict[str, Any]]:
    """One planning figure per (family, task, metric) with binary outcomes, from the baseline's items."""
    rows = []
    for task, metric in metric_targets(data, settings):
        for family, baseline in data.baselines_by_family.items():
            values = list(data.outcomes(baseline, task, metric).values())
            if len(values) < 2 or not all(v in (0.0, 1.0) for v in values):
                continue
            rate = fmean(values)
            if 0 < rate < 1:
                rows.append({"family": family, "task": task, "metric": metric} | planning_row(len(values), rate, settings))
    return rows
