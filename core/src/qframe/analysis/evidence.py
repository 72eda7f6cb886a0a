"""The evidence behind a label or an equivalence claim, read in one place.

Every consumer of labels (``qframe recommend``, ``qframe gate``, the HTML report) asks this
module, never the cell keys directly:

- :func:`label_evidence`: for a classifier label key ``L`` (``quality_tier``, ``safety_regime``)
  of one cell, the label, whether its CI supports it (``supported``/``inconclusive``), the CI in
  percentage points and the items needed to decide. Where the analysis put ``L_evidence``,
  ``L_ci`` and ``L_items_needed`` in the cell, those are used; otherwise the values derived by
  :mod:`qframe.analysis.label_intervals` (stored under ``analysis["derived_evidence"]``).
- :func:`equivalence`: ``equivalent``, ``not_equivalent`` or ``inconclusive`` for one paired
  test row: the row's ``equivalence`` key where present, otherwise read from its CI and the
  margin (equivalent when the whole CI lies within the margin, not equivalent when it lies
  wholly outside, inconclusive otherwise).
- :func:`non_inferiority`: ``non_inferior``, ``inferior`` or ``inconclusive`` from the CI's
  lower end against ``-margin``.

CIs of paired test rows are taken from the cluster bootstrap where the row has one (items of a
cluster are correlated, so it is the honest interval), else from the item bootstrap. For paired
binary outcomes the percentile bootstrap cannot move past a flip direction it never saw: with no
lost item it never reaches below the observed gains, and with no flip at all it is [0, 0] at any
n. Where a direction has no flip, its end of the CI is pushed out by the rule-of-three bound 3/n
(with no event in n trials the 95% upper bound of the event rate is about 3/n), so "no flips in
20 items" never reads as equivalence within 1 pp.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

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
    if f"{key}_evidence" in cell:
        ci = cell.get(f"{key}_ci")
        return Evidence(label, cell[f"{key}_evidence"], tuple(ci) if ci is not None else None,
                        cell.get(f"{key}_items_needed"))
    derived = analysis.get("derived_evidence", {}).get("labels", {}).get(cell["variant"], {}).get(key)
    if derived is None:
        return Evidence(label, INCONCLUSIVE, note="no CI available")
    ci = derived.get("ci")
    return Evidence(label, derived["status"], tuple(ci) if ci is not None else None,
                    derived.get("items_needed"), derived.get("note", ""))


def delta_interval(analysis: Mapping[str, Any], variant: str, delta: str) -> tuple[float, float] | None:
    """The CI of one of a cell's deltas (``benchmark_delta_pp``, ``generation_delta_pct``,
    ``refusal_delta_pp``) in the delta's own unit, where the analysis has one."""
    interval = analysis.get("derived_evidence", {}).get("intervals", {}).get(variant, {}).get(delta)
    return (interval[1], interval[2]) if interval else None


def unseen_flip_bound(n: int) -> float:
    """Rate of flips in one direction still plausible when none was seen in ``n`` items (rule of three)."""
    return 3.0 / n


def binary_ci(delta: float, low: float, high: float, n: int, lost: int, gained: int) -> tuple[float, float]:
    """A bootstrap CI of a paired binary delta, widened where one flip direction was never seen."""
    bound = unseen_flip_bound(n)
    if lost == 0:
        low = max(-1.0, min(low, delta - bound))  # a difference of two proportions stays within [-1, 1]
    if gained == 0:
        high = min(1.0, max(high, delta + bound))
    return low, high


def row_ci(row: Mapping[str, Any]) -> tuple[float, float]:
    """The CI of a paired test row's delta (cluster bootstrap where present), in the row's units."""
    if row.get("cluster_ci_low") is not None:
        low, high = row["cluster_ci_low"], row["cluster_ci_high"]
    else:
        low, high = row["ci_low"], row["ci_high"]
    if row.get("kind") == "binary" and "lost" in row:
        return binary_ci(row["delta"], low, high, row["n"], row["lost"], row["gained"])
    return low, high


def items_to_decide(n: int, delta: float, ci: tuple[float, float], boundary_distance: float) -> int | None:
    """Items for the CI to shrink (as 1/sqrt(n)) until it no longer reaches a boundary that lies
    ``boundary_distance`` from the point estimate; None when the estimate sits on the boundary."""
    half_width = max(ci[1] - delta, delta - ci[0])
    if boundary_distance <= 0 or half_width <= 0:
        return None
    return max(n + 1, math.ceil(n * (half_width / boundary_distance) ** 2))


def equivalence(row: Mapping[str, Any], margin: float) -> tuple[str, int | None]:
    """(``equivalent``/``not_equivalent``/``inconclusive``, items needed when inconclusive).

    ``margin`` is in the row's units (a fraction for binary outcomes).
    """
    low, high = row_ci(row)
    if "equivalence" in row:
        status = row["equivalence"]
    elif -margin <= low and high <= margin:
        status = EQUIVALENT
    elif high < -margin or low > margin:
        status = NOT_EQUIVALENT
    else:
        status = INCONCLUSIVE
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
