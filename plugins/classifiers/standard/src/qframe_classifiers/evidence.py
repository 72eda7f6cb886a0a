"""The evidence behind a label: does the label hold over the whole confidence interval of its deltas?

A label is computed from point estimates (a delta of -16.7pp from one flip in six items), but it
is a claim about the population of items. Each delta the rule reads comes with a confidence
interval (``<delta>_ci`` in the cell) and planning factors (items needed to tell a true
difference ``d`` apart = ``<delta>_factor`` / d², and for 0/1 outcomes at least
``<delta>_min_factor`` / d; see ``qframe.analysis.planning``). The rule
is evaluated over the box those intervals span; because every rule is piecewise constant between
its thresholds, the box's corners, the thresholds inside it and points just either side of each
threshold reach every label the rule can give there.

* ``supported``: every point of the box gives the same label;
* ``inconclusive``: the box also covers another label. The items needed are those that would
  detect, at the analysis' alpha and power, the distance from the observed delta to the nearest
  threshold inside its interval (the largest over the deltas that straddle one); None when the
  delta sits on a threshold or lacks a planning factor.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from itertools import product
from typing import Any

import attrs

from qframe_classifiers._bounds import TOLERANCE

SUPPORTED = "supported"
INCONCLUSIVE = "inconclusive"
_SIDE_STEP = 1e3 * TOLERANCE
"""How far beside a threshold a probe point lies: beyond the tolerance that counts as on it."""


@attrs.frozen
class Axis:
    """One delta a rule reads: its point estimate, interval, planning factor and thresholds."""

    point: float
    interval: tuple[float, float] | None
    factor: float | None
    bounds: tuple[float, ...]
    min_factor: float | None = None

    def probes(self) -> list[float]:
        if self.interval is None:
            return [self.point]
        low, high = self.interval
        points = [low, high, self.point]
        for bound in self.inside():
            points += [bound, bound - _SIDE_STEP, bound + _SIDE_STEP]
        return [p for p in points if low - TOLERANCE <= p <= high + TOLERANCE]

    def inside(self) -> list[float]:
        """Thresholds within the interval."""
        if self.interval is None:
            return []
        low, high = self.interval
        return [bound for bound in self.bounds if low - TOLERANCE <= bound <= high + TOLERANCE]

    def items_needed(self) -> int | None:
        """Items to tell the point apart from the nearest threshold inside the interval."""
        inside = self.inside()
        return self._items_for(inside) if inside else 0

    def fixed_design_items(self) -> int | None:
        """Items a fixed-size design (80% power by default) needs to tell the point apart from
        the nearest threshold of all: what ``qframe power`` would plan for this decision."""
        return self._items_for(self.bounds) if self.bounds else None

    def _items_for(self, bounds: Sequence[float]) -> int | None:
        distance = min(abs(self.point - bound) for bound in bounds)
        if self.factor is None or distance <= TOLERANCE:
            return None
        needed = max(self.factor / distance**2, (self.min_factor or 0.0) / distance)
        return max(2, math.ceil(needed)) if needed > 0 else None


def axis(cell: Mapping[str, Any], delta_key: str, bounds: Sequence[float], point: float | None = None) -> Axis | None:
    """The axis of ``delta_key`` from a cell (None where the cell has no such delta)."""
    value = cell.get(delta_key) if point is None else point
    if value is None:
        return None
    interval = cell.get(f"{delta_key}_ci")
    return Axis(
        float(value),
        tuple(interval) if interval is not None else None,
        cell.get(f"{delta_key}_factor"),
        tuple(bounds),
        cell.get(f"{delta_key}_min_factor"),
    )


def evidence(
    name: str,
    label: str,
    rule: Callable[..., str],
    axes: Sequence[Axis],
    ci: Sequence[float] | None,
    any_axis_decides: bool = False,
) -> dict[str, Any]:
    """``<name>_evidence``, ``<name>_ci`` and ``<name>_items_needed`` for ``label`` from ``rule(*points)``.

    Items needed are the largest over the undecided axes (every one must be decided), or with
    ``any_axis_decides`` the smallest (deciding one axis settles the label, as deciding either
    bound of a region excludes the region). ``<name>_fixed_items`` is what a fixed-size design
    would plan for the label: :meth:`Axis.fixed_design_items` of the first axis (the one ``ci``
    is on), or with ``any_axis_decides`` the smallest over the axes.
    """
    reachable = {str(rule(*point)) for point in product(*(a.probes() for a in axes))}
    decided = reachable == {label} and all(a.interval is not None for a in axes)
    needed: int | None = None
    if not decided:
        per_axis = [a.items_needed() for a in axes if a.interval is not None]
        if any_axis_decides:
            known = [n for n in per_axis if n]
            needed = min(known) if known else None
        else:
            needed = None if not per_axis or None in per_axis else max(per_axis) or None
    planned = [a.fixed_design_items() for a in axes if a.interval is not None]
    planned = [n for n in planned if n]
    return {
        f"{name}_evidence": SUPPORTED if decided else INCONCLUSIVE,
        f"{name}_ci": list(ci) if ci is not None else None,
        f"{name}_items_needed": needed,
        f"{name}_fixed_items": (min(planned) if any_axis_decides else planned[0]) if planned else None,
    }


def baseline_evidence(name: str) -> dict[str, Any]:
    """A baseline is its own reference: its label holds by definition."""
    return {f"{name}_evidence": SUPPORTED, f"{name}_ci": [0.0, 0.0], f"{name}_items_needed": None}


def missing_evidence(name: str) -> dict[str, Any]:
    return {f"{name}_evidence": None, f"{name}_ci": None, f"{name}_items_needed": None}


def unknown_evidence(name: str) -> dict[str, Any]:
    """A label that should exist but cannot be computed (no outcomes): inconclusive, items unknown."""
    return {f"{name}_evidence": INCONCLUSIVE, f"{name}_ci": None, f"{name}_items_needed": None}
