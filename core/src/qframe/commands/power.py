"""``qframe power``: how many paired items a comparison needs, per task of an experiment.

Detecting a true accuracy change of ``mde`` (a proportion) between paired arms, at two-sided
``alpha`` and ``power``, takes ``n = (z[1-alpha/2] + z[power])² · discordance / mde²`` items,
where ``discordance`` is the expected share of items on which the arms disagree. Without a
stated discordance the arms are taken to disagree as often as independent ones would,
``2·p·(1-p)`` at the baseline rate ``p``: the conservative figure. The same formula gives the
planning table of the report (:mod:`qframe.analysis.planning`).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs


@attrs.frozen
class PowerPlan:
    """The items needed for one detectable change, and the assumptions behind it."""

    baseline_rate: float
    mde_pp: float
    discordance: float
    discordance_source: str
    alpha: float
    power: float
    items: int


@attrs.frozen
class TaskSupply:
    """How many items a configured task provides against what the plan needs."""

    task: str
    items: int
    needed: int

    @property
    def shortfall(self) -> int:
        return max(0, self.needed - self.items)


def plan(baseline_rate: float, mde_pp: float, discordance: float | None, alpha: float, power: float) -> PowerPlan:
    """The items needed; ``ValueError`` (one line) for a rate, change or discordance out of range."""
    from qframe.analysis import stats

    if not 0 < baseline_rate < 1:
        raise ValueError(f"--baseline-rate must lie strictly between 0 and 1, got {baseline_rate}")
    if not 0 < mde_pp < 100:
        raise ValueError(f"--mde-pp must lie strictly between 0 and 100, got {mde_pp}")
    if discordance is not None and not 0 < discordance <= 1:
        raise ValueError(f"--discordance must lie in (0, 1], got {discordance}")
    source = "stated" if discordance is not None else "independent arms, 2p(1-p)"
    rate = discordance if discordance is not None else 2 * baseline_rate * (1 - baseline_rate)
    items = stats.items_needed(mde_pp / 100, rate, alpha, power)
    return PowerPlan(baseline_rate, mde_pp, rate, source, alpha, power, items or 0)


def describe(result: PowerPlan, supplies: Sequence[TaskSupply]) -> list[str]:
    """The lines ``qframe power`` prints."""
    lines = [
        f"items needed: {result.items} paired items to detect a change of {result.mde_pp:g} pp at baseline rate "
        f"{result.baseline_rate:g}, discordance {result.discordance:.4g} ({result.discordance_source}), "
        f"alpha {result.alpha:g}, power {result.power:g}"
    ]
    for supply in supplies:
        verdict = "enough" if not supply.shortfall else f"short by {supply.shortfall}: too small to decide"
        lines.append(f"  {supply.task}: {supply.items} items configured, {result.items} needed ({verdict})")
    return lines
