"""Quality tier: how much quality a variant lost against its own baseline.

Two signals feed the tier: the benchmark accuracy delta in percentage points and the generation
quality delta in percent (the relative change of the key-metric average). Each signal earns the
mildest tier whose floor it reaches (floors are inclusive), and the variant gets the more severe
of the two tiers, because either kind of loss alone can make a variant unfit. A variant measured
on only one kind of task is tiered on that signal alone.
"""

from __future__ import annotations

import enum

import attrs

from qframe_classifiers._bounds import at_least, require_finite


class QualityTier(enum.StrEnum):
    """Quality tiers, from no meaningful loss to do-not-deploy; declared in order of severity."""

    NEGLIGIBLE = "negligible"
    ACCEPTABLE = "acceptable"
    CONCERNING = "concerning"
    UNACCEPTABLE = "unacceptable"


@attrs.frozen
class Thresholds:
    """Lowest delta that still earns each tier; a delta below the concerning floor is unacceptable.

    Benchmark floors are in percentage points of accuracy, generation floors in percent change
    of the key-metric average. Floors must not rise from one tier to the next, more severe one.
    """

    negligible_benchmark_pp: float = -3.0
    acceptable_benchmark_pp: float = -5.0
    concerning_benchmark_pp: float = -10.0
    negligible_generation_pct: float = -3.0
    acceptable_generation_pct: float = -8.0
    concerning_generation_pct: float = -15.0

    def __attrs_post_init__(self) -> None:
        for scale, floors in (("benchmark", self.benchmark_floors), ("generation", self.generation_floors)):
            if list(floors) != sorted(floors, reverse=True):
                raise ValueError(f"{scale} tier floors must not rise with severity, got {floors}")

    @property
    def benchmark_floors(self) -> tuple[float, float, float]:
        """Negligible, acceptable and concerning floors of the benchmark delta (pp)."""
        return (self.negligible_benchmark_pp, self.acceptable_benchmark_pp, self.concerning_benchmark_pp)

    @property
    def generation_floors(self) -> tuple[float, float, float]:
        """Negligible, acceptable and concerning floors of the generation delta (%)."""
        return (self.negligible_generation_pct, self.acceptable_generation_pct, self.concerning_generation_pct)


DEFAULT_THRESHOLDS = Thresholds()

_SEVERITY = tuple(QualityTier)
_TIERS_WITH_FLOORS = (QualityTier.NEGLIGIBLE, QualityTier.ACCEPTABLE, QualityTier.CONCERNING)


def quality_tier(
    benchmark_delta_pp: float | None,
    generation_delta_pct: float | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> QualityTier:
    """The tier of a variant from the worse of its benchmark and generation deltas.

    ``benchmark_delta_pp`` is the variant's benchmark accuracy minus its baseline's, in
    percentage points; ``generation_delta_pct`` the percent change of its generation key-metric
    average against the baseline's. Either may be ``None`` when that kind of task was not run,
    but not both.
    """
    tiers = []
    if benchmark_delta_pp is not None:
        delta = require_finite("benchmark_delta_pp", benchmark_delta_pp)
        tiers.append(_tier_on_scale(delta, thresholds.benchmark_floors))
    if generation_delta_pct is not None:
        delta = require_finite("generation_delta_pct", generation_delta_pct)
        tiers.append(_tier_on_scale(delta, thresholds.generation_floors))
    if not tiers:
        raise ValueError("a quality tier needs a benchmark delta, a generation delta or both")
    return max(tiers, key=_SEVERITY.index)


def _tier_on_scale(delta: float, floors: tuple[float, float, float]) -> QualityTier:
    """The mildest tier whose floor ``delta`` reaches on one signal's scale."""
    for tier, floor in zip(_TIERS_WITH_FLOORS, floors, strict=True):
        if at_least(delta, floor):
            return tier
    return QualityTier.UNACCEPTABLE
