"""Proportions: Wilson intervals, the sign test and McNemar's test."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from qframe.analysis.stats._support import _check_level, _paired_binary
from qframe.analysis.stats.results import Interval, McNemarResult

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


MCNEMAR_EXACT_MAX_DISCORDANT = 25
"""McNemar uses the exact binomial test up to this many discordant pairs, chi-square above it."""


def wilson_interval(successes: float, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a proportion of ``successes`` out of ``n``.

    Unlike the normal (Wald) interval it stays inside [0, 1] and keeps its coverage near 0 and
    1, which matters for accuracies and win rates measured on a few hundred items. Written in
    closed form (scipy's ``binomtest`` takes whole counts only) so that ``successes`` may be a
    sum of item means in [0, 1]: their variance is at most the binary one, so the interval
    stays valid.
    """
    if n <= 0:
        raise ValueError(f"a proportion needs at least one trial, got n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, n={n}], got {successes}")
    _check_level(confidence, "confidence")
    from scipy.stats import norm

    z = float(norm.ppf(1 - (1 - confidence) / 2))
    share, spread = successes / n, z * z / n
    centre = (share + spread / 2) / (1 + spread)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + spread)
    # At 0 or n successes the bound is exactly 0 or 1; rounding must not leave the point outside.
    low = 0.0 if successes == 0 else max(0.0, min(share, centre - half))
    high = 1.0 if successes == n else min(1.0, max(share, centre + half))
    return Interval(low, high)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided sign test p-value of ``wins`` against ``losses``; ties are left out by the caller.

    Under the null hypothesis each decisive comparison is a fair coin. With no decisive
    comparison at all there is no evidence either way and the p-value is 1.0.
    """
    if wins < 0 or losses < 0:
        raise ValueError(f"win and loss counts must be non-negative, got {wins} and {losses}")
    if wins + losses == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(wins, wins + losses, 0.5, alternative="two-sided").pvalue)


def mcnemar_test(
    a_correct: ArrayLike,
    b_correct: ArrayLike,
    exact_max_discordant: int = MCNEMAR_EXACT_MAX_DISCORDANT,
) -> McNemarResult:
    """McNemar's test of whether baseline and variant differ on paired binary outcomes.

    Only the discordant items carry information. With at most ``exact_max_discordant`` of them
    the exact binomial test is used, otherwise the chi-square test with continuity correction.
    With no discordant item the arms agree everywhere and the p-value is 1.0.
    """
    import numpy as np

    a_ok, b_ok = _paired_binary(a_correct, b_correct)
    b01 = int(np.count_nonzero(~a_ok & b_ok))
    b10 = int(np.count_nonzero(a_ok & ~b_ok))
    exact = b01 + b10 <= exact_max_discordant
    if b01 + b10 == 0:
        return McNemarResult(b01, b10, 0.0, 1.0, exact)
    from scipy.stats import binomtest, chi2

    if exact:  # the exact test is a binomial test of the discordant pairs against a fair coin
        p_value = binomtest(b01, b01 + b10, 0.5).pvalue
        return McNemarResult(b01, b10, float(min(b01, b10)), float(p_value), exact)
    statistic = (abs(b01 - b10) - 1) ** 2 / (b01 + b10)
    return McNemarResult(b01, b10, float(statistic), float(chi2.sf(statistic, df=1)), exact)
