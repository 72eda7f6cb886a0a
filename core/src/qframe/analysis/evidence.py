"""The evidence behind a label or an equivalence claim, read in one place.

Every consumer of labels (``qframe recommend``, ``qframe gate``, the HTML report) asks this
module, never the cell keys directly:

- :func:`label_evidence`: for a classifier label key ``L`` (``quality_tier``, ``safety_regime``)
  of one cell, the label, whether its CI supports it (``supported``/``inconclusive``), the CI in
  percentage points and the items needed to decide: the cell's ``L_evidence``, ``L_ci`` and
  ``L_items_needed``, set by the analysis (:mod:`qframe.analysis.planning` and the classifiers).
- :func:`delta_interval`: the CI of one of a cell's deltas (``<delta>_ci``).
- :func:`equivalence`: ``equivalent``, ``not_equivalent`` or ``inconclusive`` for one paired
  test row, read from its decision interval and the margin (equivalent when the whole interval
  lies within ±margin, not equivalent when it lies wholly outside, inconclusive otherwise).
- :func:`non_inferiority`: ``non_inferior``, ``inferior`` or ``inconclusive`` from the decision
  interval's lower end against ``-margin``.

Both read one interval, :func:`decision_interval`: the ``1 - 2·alpha`` interval of the row
(tests at level ``alpha``), widened to the cluster bootstrap's span at that level where items
cluster (see :mod:`qframe.analysis.comparisons`); so equivalence implies non-inferiority. The CI
labels are judged on (:func:`row_ci`) is the ``confidence`` interval with the same widening.
Items needed, everywhere, are those that detect the distance to the boundary at the analysis'
alpha and power (80% by default): :func:`items_to_decide`.
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
    unit: str = "pp"
    """Unit of ``ci`` (``pp``, or ``%`` for a relative change)."""
    at_margin: tuple[int, float] | None = None
    """When ``items_needed`` lies far beyond the run: (items for an effect one margin from the
    boundary, that margin in pp), the figure worth planning for instead."""

    @property
    def supported(self) -> bool:
        return self.status == SUPPORTED

    def needed_text(self) -> str:
        """What more items would decide, for an inconclusive label ('' otherwise)."""
        if self.status != INCONCLUSIVE or not self.items_needed:
            return ""
        if self.at_margin:
            items, margin = self.at_margin
            return (f"the run cannot decide at this effect size (~{self.items_needed} items needed); "
                    f"~{items} items would decide an effect {margin:g} {self.unit} from the boundary")
        return f"~{self.items_needed} items needed"

    def describe(self) -> str:
        """``hidden_danger (CI [-30.1, -3.2] pp, inconclusive: ~40 items needed)``."""
        if self.label is None:
            return "n/a"
        parts = []
        if self.ci is not None:
            parts.append(f"CI [{self.ci[0]:+.1f}, {self.ci[1]:+.1f}] {self.unit}")
        if self.status is not None:
            needed = self.needed_text()
            parts.append(f"{self.status}: {needed}" if needed else self.status)
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
    needed = cell.get(f"{key}_items_needed")
    return Evidence(label, cell[f"{key}_evidence"], tuple(ci) if ci is not None else None, needed,
                    unit=cell.get(f"{key}_ci_unit") or "pp", at_margin=_at_margin(analysis, cell, key, needed))


LABEL_DELTAS = {
    "quality_tier": ("benchmark_delta_pp", "generation_delta_pct"),
    "safety_regime": ("refusal_delta_pp",),
    "hidden_danger": ("refusal_delta_pp",),
    "deployment_role": ("refusal_delta_pp",),
}
"""Label -> the deltas its items needed come from (the first the cell has)."""


def _at_margin(analysis: Mapping[str, Any], cell: Mapping[str, Any], key: str, needed: int | None) -> tuple[int, float] | None:
    """Items for an effect one margin from the boundary, where ``needed`` is beyond any pool."""
    items = cell.get("items") or 0
    if not needed or not items or needed <= UNDECIDABLE_FACTOR * items:
        return None
    margin = (analysis.get("settings") or {}).get("equivalence_margin_pp", 1.0)
    delta = next((d for d in LABEL_DELTAS.get(key, ()) if cell.get(f"{d}_factor") is not None), None)
    if delta is None:
        return None
    factor, min_factor = cell[f"{delta}_factor"], cell.get(f"{delta}_min_factor") or 0.0
    return max(2, math.ceil(max(factor / margin**2, min_factor / margin))), margin


def delta_interval(analysis: Mapping[str, Any], variant: str, delta: str) -> tuple[float, float] | None:
    """The CI of one of a cell's deltas (``benchmark_delta_pp``, ``generation_delta_pct``,
    ``refusal_delta_pp``) in the delta's own unit, where the analysis has one."""
    cell = next((c for c in analysis.get("cells", ()) if c["variant"] == variant), {})
    interval = cell.get(f"{delta}_ci")
    return (interval[0], interval[1]) if interval else None


def row_ci(row: Mapping[str, Any]) -> tuple[float, float] | None:
    """The CI of a paired test row's delta in the row's units (see the module docstring); None
    for a sequential run's metric without bounds (see :func:`qframe.analysis.comparisons.sequence_intervals`)."""
    if row.get("evidence_low") is not None:
        return row["evidence_low"], row["evidence_high"]
    if row.get("ci_low") is None:
        return None
    return row["ci_low"], row["ci_high"]


def items_to_decide(row: Mapping[str, Any], distance: float) -> int | None:
    """Items that detect a true difference ``distance`` away from the boundary at the analysis'
    alpha and power: ``max(factor / d², min_factor / d)`` from the row's planning factors (at
    least one more than the row has); None when the estimate sits on the boundary."""
    factor = row.get("factor")
    if factor is None or distance <= 0:
        return None
    needed = max(factor / distance**2, (row.get("min_factor") or 0.0) / distance)
    return max(row["n"] + 1, math.ceil(needed))


UNDECIDABLE_FACTOR = 10
"""Items needed beyond this multiple of the items at hand mean the run cannot decide at this effect size."""


def undecidable(row: Mapping[str, Any], needed: int | None) -> bool:
    """Whether ``needed`` lies so far beyond the run's items that no realistic pool decides it."""
    return needed is not None and needed > UNDECIDABLE_FACTOR * row["n"]


def decision_interval(row: Mapping[str, Any]) -> tuple[float, float] | None:
    """The interval equivalence and non-inferiority read (see the module docstring)."""
    if row.get("equivalence_ci_low") is not None:
        return row["equivalence_ci_low"], row["equivalence_ci_high"]
    return row_ci(row)


def equivalence(row: Mapping[str, Any], margin: float) -> tuple[str, int | None]:
    """(``equivalent``/``not_equivalent``/``inconclusive``, items needed when inconclusive).

    ``margin`` is in the row's units (a fraction for binary outcomes); it may differ from the
    run's own margin, so the verdict is read again from the row's decision interval.
    """
    interval = decision_interval(row)
    if row.get("kind") == "continuous" or interval is None:
        return INCONCLUSIVE, None  # a margin in accuracy points means nothing in this metric's units
    low, high = interval
    status = verdict_from_interval(low, high, margin)
    needed = items_to_decide(row, abs(margin - abs(row["delta"]))) if status == INCONCLUSIVE else None
    return status, needed


def non_inferiority(row: Mapping[str, Any], margin: float) -> tuple[str, int | None]:
    """(``non_inferior``/``inferior``/``inconclusive``, items needed when inconclusive)."""
    interval = decision_interval(row)
    if interval is None:
        return INCONCLUSIVE, None
    low, high = interval
    if low > -margin:
        return NON_INFERIOR, None
    if high < -margin:
        return INFERIOR, None
    return INCONCLUSIVE, items_to_decide(row, abs(row["delta"] + margin))
