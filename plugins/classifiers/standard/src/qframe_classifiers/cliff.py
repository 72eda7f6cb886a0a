"""Quality cliffs and diminishing returns along one model's quant ladder.

A ladder lists a model's quant levels from the highest precision to the lowest. Each rung
carries its benchmark accuracy in percentage points (absolute, or as a delta from the baseline:
only differences between rungs matter) and, when known, its cost per million tokens.

* A quality cliff is a single step down the ladder that loses at least 9pp of accuracy.
* Stepping up the ladder shows diminishing returns when the step gains less than 2pp of accuracy
  and does not make the model cheaper to run. A step that gains little but also lowers the cost
  (a faster higher-precision level) is a free upgrade, not a diminishing return; without costs,
  the gain alone decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import attrs

from qframe_classifiers._bounds import at_least, require_finite


@attrs.frozen
class Rung:
    """One quant level of a ladder."""

    level: str
    accuracy_pp: float
    cost_per_mtok: float | None = None


@attrs.frozen
class Thresholds:
    """Bounds of the ladder rules, in percentage points of accuracy."""

    cliff_drop_pp: float = 9.0
    """A one-step accuracy loss at or above this is a quality cliff."""
    diminishing_gain_pp: float = 2.0
    """A one-step accuracy gain below this is too small to pay for a higher cost."""


DEFAULT_THRESHOLDS = Thresholds()


@attrs.frozen
class Cliff:
    """A step down the ladder, from ``higher_level`` to ``lower_level``, losing ``drop_pp``."""

    higher_level: str
    lower_level: str
    drop_pp: float


@attrs.frozen
class Step:
    """A step up the ladder, from ``lower_level`` to ``higher_level``, and what it buys.

    ``cost_increase_pct`` is the relative change of the cost per million tokens (negative when
    the higher level is cheaper), ``None`` when either rung has no cost.
    """

    lower_level: str
    higher_level: str
    gain_pp: float
    cost_increase_pct: float | None
    diminishing: bool


def find_cliffs(ladder: Sequence[Rung], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Cliff]:
    """Every step down the ladder that loses at least ``thresholds.cliff_drop_pp``, top first."""
    return [
        Cliff(higher.level, lower.level, drop)
        for higher, lower in pairwise(ladder)
        if at_least(drop := _accuracy(higher) - _accuracy(lower), thresholds.cliff_drop_pp)
    ]


def step_returns(ladder: Sequence[Rung], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Step]:
    """What each step up the ladder gains and costs, in ladder order (top step first)."""
    steps = []
    for higher, lower in pairwise(ladder):
        gain = _accuracy(higher) - _accuracy(lower)
        cost_increase = _cost_increase_pct(lower, higher)
        small_gain = not at_least(gain, thresholds.diminishing_gain_pp)
        diminishing = small_gain and (cost_increase is None or cost_increase > 0)
        steps.append(Step(lower.level, higher.level, gain, cost_increase, diminishing))
    return steps


def _accuracy(rung: Rung) -> float:
    """The rung's accuracy, refusing NaN or infinite values."""
    return require_finite(f"accuracy of {rung.level}", rung.accuracy_pp)


def _cost_increase_pct(lower: Rung, higher: Rung) -> float | None:
    """Percent change of cost from ``lower`` to ``higher``; ``None`` without both costs."""
    if lower.cost_per_mtok is None or higher.cost_per_mtok is None:
        return None
    if lower.cost_per_mtok <= 0:
        raise ValueError(f"cost of {lower.level} must be positive, got {lower.cost_per_mtok}")
    return (higher.cost_per_mtok / lower.cost_per_mtok - 1.0) * 100.0
