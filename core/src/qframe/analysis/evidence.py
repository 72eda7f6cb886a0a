"""The evidence behind a label or an equivalence claim, read in one place.

Every consumer of labels (``qframe recommend``, ``qframe gate``, the HTML report) asks this
module, never the cell keys directly:

- :func:`label_evidence`: for a classifier label key ``L`` (``quality_tier``, ``safety_regime``)
  of one cell, the label, whether its CI supports it (``supported``/``inconclusive``), the CI in
  percentage points and the items needed to decide: the cell's ``L_evidence``, ``L_ci`` and
  ``L_items_needed``, set by the analysis (:mod:`qframe.analysis.planning` and the classifiers).
- :func:`delta_interval`: the CI of one of a cell's deltas (``<delta>_ci``).
- :func:`equivalence`: ``equivalent``, ``not_equivalent`` or ``inconclusive`` for one paired
  test row: the row's ``equivalence`` key where present, otherwise read from its CI and the
  margin (equivalent when the whole CI lies within the margin, not equivalent when it lies
  wholly outside, inconclusive otherwise).
- :func:`non_inferiority`: ``non_inferior``, ``inferior`` or ``inconclusive`` from the CI's
  lower end against ``-margin``.

The CI of a paired test row is its ``evidence_low``/``evidence_high``: for 0/1 outcomes Tango's
score interval, which stays honest with few or no discordant items, widened to the cluster
bootstrap's span where items cluster.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from qframe.analysis.stats.paired_proportions import verdict_from_interval

SUPPORTED, INCONCLUSIVE = "supported", "inconclusive"
EQUIVALENT, NOT_EQUIVALENT = "equivalent", "not_equivalent"
NON_INFERIOR, INFERIOR = "non_inferior", "inferior"


@attrs.frozen
class Evidence:
    """A label with its uncertainty; ``status`` is None for labels with nothing to support (baselines)."""

    label: str | None
    status: str | None = None
    ci: tuple[float, float] | None = None
    items_needed: int | None = None
    note: str = ""

    @property
    def supported(self) -> bool:
        return self.status == SUPPORTED

    def describe(self) -> str:
        """``hidden_danger (CI [-30.1, -3.2] pp, inconclusive: ~40 items needed)``."""
        if self.label is None:
            return "n/a"
        parts = []
        if self.ci is not None:
            parts.append(f"CI [{self.ci[0]:+.1f}, {self.ci[1]:+.1f}] pp")
        if self.status is not None:
            status = self.status
            if self.status == INCONCLUSIVE and self.items_needed:
                status += f": ~{self.items_needed} items needed"
            parts.append(status)
        if self.note:
            parts.append(self.note)
        return f"{self.label} ({', '.join(parts)})" if parts else self.label


def label_evidence(analysis: Mapping[str, Any], cell: Mapping[str, Any], key: str) -> Evidence:
    """The evidence of label ``key`` of ``cell`` (see the module docstring for the sources)."""
    label = cell.get(key)
    if label is None or cell.get("baseline"):
        return Evidence(label)
    if f"{key}_evidence" not in cell:
        return Evidence(label, INCONCLUSIVE, note="no CI available")
    ci = cell.get(f"{key}_ci")
    return Evidence(label, cell[f"{key}_evidence"], tuple(ci) if ci is not None else None, cell.get(f"{key}_items_needed"))


def delta_interval(analysis: Mapping[str, Any], variant: str, delta: str) -> tuple[float, float] | None:
    """The CI of one of a cell's deltas (``benchmark_delta_pp``, ``generation_delta_pct``,
    ``refusal_delta_pp``) in the delta's own unit, where the analysis has one."""
    cell = next((c for c in analysis.get("cells", ()) if c["variant"] == variant), {})
    interval = cell.get(f"{delta}_ci")
    return (interval[0], interval[1]) if interval else None


def row_ci(row: Mapping[str, Any]) -> tuple[float, float]:
    """The CI of a paired test row's delta in the row's units (see the module docstring)."""
    if row.get("evidence_low") is not None:
        return row["evidence_low"], row["evidence_high"]
    return row["ci_low"], row["ci_high"]


def items_to_decide(n: int, delta: float, ci: tuple[float, float], boundary_distance: float) -> int | None:
    """Items for the CI to shrink (as 1/sqrt(n)) until it no longer reaches a boundary that lies
    ``boundary_distance`` from the point estimate; None when the estimate sits on the boundary."""
    half_width = max(ci[1] - delta, delta - ci[0])
    if boundary_distance <= 0 or half_width <= 0:
        return None
    return max(n + 1, math.ceil(n * (half_width / boundary_distance) ** 2))


def equivalence(row: Mapping[str, Any], margin: float) -> tuple[str, int | None]:
    """(``equivalent``/``not_equivalent``/``inconclusive``, items needed when inconclusive).

    ``margin`` is in the row's units (a fraction for binary outcomes); it may differ from the
    run's own margin, so the verdict is read again from the row's equivalence interval.
    """
    low, high = row_ci(row)
    if row.get("equivalence_ci_low") is not None:  # the analysis' 1 - 2·alpha interval (Tango or t)
        low, high = row["equivalence_ci_low"], row["equivalence_ci_high"]
        no_spread = row.get("tost_p") is not None and math.isnan(row["tost_p"])
        status = INCONCLUSIVE if no_spread else verdict_from_interval(low, high, margin)
    else:
        status = verdict_from_interval(low, high, margin)
    needed = None
    if status == INCONCLUSIVE:
        needed = items_to_decide(row["n"], row["delta"], (low, high), abs(margin - abs(row["delta"])))
    return status, needed


def non_inferiority(row: Mapping[str, Any], margin: float) -> tuple[str, int | None]:
    """(``non_inferior``/``inferior``/``inconclusive``, items needed when inconclusive)."""
    low, high = row_ci(row)
    if low > -margin:
        return NON_INFERIOR, None
    if high < -margin:
        return INFERIOR, None
    return INCONCLUSIVE, items_to_decide(row["n"], row["delta"], (low, high), abs(row["delta"] + margin))
