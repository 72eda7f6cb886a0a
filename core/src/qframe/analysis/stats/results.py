"""Result types of the statistics."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

import attrs

K = TypeVar("K", bound=Hashable)


@attrs.frozen
class Interval:
    """A two-sided confidence interval."""

    low: float
    high: float


@attrs.frozen
class DeltaCI:
    """Mean paired difference ``b - a`` with its two-sided bootstrap confidence interval."""

    delta: float
    low: float
    high: float


@attrs.frozen
class McNemarResult:
    """McNemar's test on paired binary outcomes.

    ``b01`` counts items the baseline got wrong and the variant right; ``b10`` items the
    baseline got right and the variant wrong. With ``exact`` the statistic is the smaller of
    the two counts (the binomial test's), otherwise the continuity-corrected chi-square.
    """

    b01: int
    b10: int
    statistic: float
    p_value: float
    exact: bool


@attrs.frozen
class TostResult:
    """Two one-sided tests of equivalence of paired outcomes within ``±margin``.

    ``p_value`` is the larger of the two one-sided p-values (NaN where the data cannot test
    anything, such as differences without spread). ``low`` and ``high`` bound the
    ``1 - 2·alpha`` confidence interval of the mean difference, and ``verdict`` reads it:
    ``equivalent`` (inside ``±margin``), ``not_equivalent`` (entirely outside) or
    ``inconclusive`` (reaching across a margin, or no spread to build an interval from).
    """

    p_value: float
    verdict: str
    low: float
    high: float

    @property
    def equivalent(self) -> bool:
        return self.verdict == "equivalent"


@attrs.frozen
class TTestResult:
    """A two-sided t-test of ``mean(b) - mean(a)``; ``df`` is NaN where the test is degenerate."""

    statistic: float
    p_value: float
    df: float


@attrs.frozen
class KappaResult:
    """Cohen's kappa between two raters with a bootstrap confidence interval over items.

    ``agreement`` is the raw share of items both raters labelled alike. ``confusion`` counts
    items per ``(label_a, label_b)`` pair over every combination of the labels either rater
    used, zeros included, labels in order of first appearance.
    """

    kappa: float
    low: float
    high: float
    agreement: float
    confusion: Mapping[tuple[Hashable, Hashable], int] = attrs.field(hash=False)
