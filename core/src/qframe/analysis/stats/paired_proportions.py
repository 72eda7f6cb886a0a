"""Tango's score interval for a difference of paired proportions, and equivalence from it.

For paired 0/1 outcomes only the discordant items carry information about the difference:
``gained`` items the variant got right and the baseline wrong, ``lost`` the reverse, out of
``n`` items. The difference of the two accuracies is ``(gained - lost) / n``.

Tango (1998, Statistics in Medicine 17:891-908) inverts the score test of ``H0: difference =
d``, with the discordant cell probabilities re-estimated by maximum likelihood under that
``d``. Unlike the Wald interval it stays inside [-1, 1], keeps its coverage at small ``n`` and
stays wide when no item is discordant: with 0 of 20 items discordant the 95% interval is
about ±16 pp (exactly ``±z²/(n + z²)``), not a point. At ``d = 0`` the statistic is McNemar's.

Neither scipy nor statsmodels offers a paired-proportion interval, so the statistic is written
out here; the roots are found by scipy's ``brentq``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from qframe.analysis.stats._support import _check_level
from qframe.analysis.stats.results import Interval, TostResult

_EDGE = 1e-12
"""How close to ±1 root finding starts (the statistic is finite just inside the boundary)."""


def _check_counts(gained: float, lost: float, n: int) -> None:
    if n < 1 or gained < 0 or lost < 0 or gained + lost > n:
        raise ValueError(f"not a paired table: gained={gained}, lost={lost}, n={n}")


def tango_statistic(gained: float, lost: float, n: int, difference: float) -> float:
    """Tango's score statistic of ``H0: p_variant - p_baseline = difference``.

    Positive when the observed difference ``(gained - lost) / n`` lies above ``difference``.
    ``gained`` and ``lost`` may be fractional (see :func:`bounded_interval`).
    """
    _check_counts(gained, lost, n)
    if not -1.0 < difference < 1.0:
        raise ValueError(f"difference must lie strictly between -1 and 1, got {difference}")
    observed = gained - lost - n * difference
    if observed == 0:
        return 0.0
    # Restricted maximum-likelihood estimate of P(lost) under the hypothesis: the root in
    # [0, 1] of 2n q^2 + w q - lost d (1 - d) = 0 (Tango 1998, eqs. 24-26).
    w = -(gained + lost) + (2 * n - gained + lost) * difference
    q_lost = (math.sqrt(max(0.0, w * w + 8 * n * lost * difference * (1 - difference))) - w) / (4 * n)
    variance = n * (2 * q_lost + difference * (1 - difference))
    if variance <= 0:
        return math.copysign(math.inf, observed)
    return observed / math.sqrt(variance)


def tango_interval(gained: float, lost: float, n: int, confidence: float = 0.95) -> Interval:
    """Two-sided ``confidence`` score interval of ``p_variant - p_baseline`` (Tango 1998)."""
    _check_counts(gained, lost, n)
    _check_level(confidence, "confidence")
    from scipy.optimize import brentq
    from scipy.stats import norm

    z = float(norm.ppf(1 - (1 - confidence) / 2))
    centre = (gained - lost) / n
    inner = min(max(centre, -1 + _EDGE), 1 - _EDGE)  # the statistic is defined strictly inside (-1, 1)
    low = -1.0
    if centre > -1.0:
        low = brentq(lambda d: tango_statistic(gained, lost, n, d) - z, -1 + _EDGE, inner, xtol=1e-14, rtol=1e-14)
    high = 1.0
    if centre < 1.0:
        high = brentq(lambda d: tango_statistic(gained, lost, n, d) + z, inner, 1 - _EDGE, xtol=1e-14, rtol=1e-14)
    return Interval(float(low), float(high))


def equivalence_paired_binary(gained: int, lost: int, n: int, margin: float, alpha: float = 0.05) -> TostResult:
    """Is ``p_variant - p_baseline`` shown to lie within ``±margin``? Tango score TOST.

    The two one-sided score tests of ``difference <= -margin`` and ``difference >= +margin``
    give ``p_value`` (the larger of the two); the decision reads the ``1 - 2·alpha`` Tango
    interval: inside ``(-margin, +margin)`` is ``equivalent``, entirely outside it is
    ``not_equivalent``, and an interval that reaches across a margin is ``inconclusive``.
    """
    if not 0 < margin < 1:
        raise ValueError(f"the equivalence margin must lie in (0, 1), got {margin}")
    _check_level(alpha, "alpha")
    from scipy.stats import norm

    above_lower = float(norm.sf(tango_statistic(gained, lost, n, -margin)))
    below_upper = float(norm.cdf(tango_statistic(gained, lost, n, margin)))
    interval = tango_interval(gained, lost, n, 1 - 2 * alpha)
    return TostResult(
        max(above_lower, below_upper), verdict_from_interval(interval.low, interval.high, margin), interval.low, interval.high
    )


def bounded_interval(differences: Sequence[float], confidence: float = 0.95) -> Interval:
    """Interval of the mean of paired differences of item means in [0, 1] (each in [-1, 1]).

    Item means of 0/1 outcomes (over repetitions at temperature > 0, or over the templates of
    one request) are fractions; a percentile bootstrap of them collapses when few items differ.
    This interval is the span of two: Tango's score interval with the fractional discordance
    ``gained = sum(max(d, 0))``, ``lost = sum(max(-d, 0))`` over ``n`` items, and the t
    interval of the differences. The score part is valid because ``d² <= |d|`` for ``|d| <= 1``:
    the variance it assumes is at least the true one, and with binary outcomes it is exactly
    the binary interval, so a fractional run is never more certain than a binary one with the
    same discordance (with none, ``±z²/(n + z²)``). The t part guards skewed samples.
    """
    import numpy as np

    values = np.asarray(differences, dtype=np.float64)
    if values.size < 1 or np.abs(values).max() > 1 + 1e-12:
        raise ValueError("bounded_interval needs at least one difference, each within [-1, 1]")
    gained, lost = float(np.clip(values, 0, None).sum()), float(np.clip(-values, 0, None).sum())
    score = tango_interval(gained, lost, int(values.size), confidence)
    if values.size < 2 or np.ptp(values) == 0:
        return score
    from scipy.stats import sem, t

    low, high = t.interval(confidence, values.size - 1, loc=values.mean(), scale=sem(values))
    return Interval(min(score.low, float(low)), max(score.high, float(high)))


def verdict_from_interval(low: float, high: float, margin: float) -> str:
    """``equivalent`` inside ±margin, ``not_equivalent`` entirely outside, else ``inconclusive``."""
    if -margin < low and high < margin:
        return "equivalent"
    if low >= margin or high <= -margin:
        return "not_equivalent"
    return "inconclusive"
