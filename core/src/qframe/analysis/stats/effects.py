"""Effect sizes (Cohen's d) and minimum detectable effects."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

from qframe.analysis.stats._support import _check_level, _outcomes, _paired, _standardised

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def cohens_d(a: ArrayLike, b: ArrayLike) -> float:
    """Cohen's d of ``mean(b) - mean(a)`` over the pooled sample standard deviation.

    Written out because neither scipy nor statsmodels exposes it. If neither sample varies the
    ratio is undefined: the result is 0.0 for equal means, otherwise infinity of the
    difference's sign.
    """
    a_values = _outcomes(a, "a", minimum=2)
    b_values = _outcomes(b, "b", minimum=2)
    pooled_variance = ((a_values.size - 1) * a_values.var(ddof=1) + (b_values.size - 1) * b_values.var(ddof=1)) / (
        a_values.size + b_values.size - 2
    )
    return _standardised(float(b_values.mean() - a_values.mean()), math.sqrt(pooled_variance))


def cohens_d_paired(a: ArrayLike, b: ArrayLike) -> float:
    """Paired Cohen's d (d_z): mean of ``b - a`` over the standard deviation of the differences.

    Written out because neither scipy nor statsmodels exposes it. If every difference is the
    same, the result is 0.0 when it is zero, otherwise infinity of its sign.
    """
    a_values, b_values = _paired(a, b, minimum=2)
    difference = b_values - a_values
    return _standardised(float(difference.mean()), float(difference.std(ddof=1)))


def mde_continuous(n: int, sd: float, alpha: float = 0.05, power: float = 0.8, paired: bool = False) -> float:
    """Smallest true difference in means a two-sided z-test detects with the given power.

    Normal approximation, on the outcome's own scale: with ``sd=1`` the result is Cohen's d.
    Unpaired, ``n`` items per arm and ``sd`` the per-arm standard deviation, the result is
    ``(z[1-alpha/2] + z[power]) * sd * sqrt(2/n)``. Paired, ``n`` items scored by both arms and
    ``sd`` the standard deviation of the per-item differences, it is
    ``(z[1-alpha/2] + z[power]) * sd / sqrt(n)``.
    """
    if n < 2:
        raise ValueError(f"a minimum detectable effect needs n >= 2, got {n}")
    if sd < 0:
        raise ValueError(f"a standard deviation cannot be negative, got {sd}")
    _check_level(alpha, "alpha")
    _check_level(power, "power")
    # The closed form above, rather than statsmodels' NormalIndPower.solve_power: that solver
    # iterates to also count the far rejection tail (below 1e-6 of power here) and costs tens of
    # milliseconds per call, which an analysis of many variants and metrics cannot afford.
    z_sum = _normal_quantile(1 - alpha / 2) + _normal_quantile(power)
    return z_sum * sd * (math.sqrt(1 / n) if paired else math.sqrt(2 / n))


@lru_cache(maxsize=64)
def _normal_quantile(probability: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(probability))


def minimum_detectable_effect(
    n: int,
    baseline_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
    discordant_rate: float | None = None,
) -> float:
    """Smallest true accuracy difference, in percentage points, detectable with the given power.

    Normal approximation for a 0/1 outcome. Independent arms of ``n`` items each have per-item
    variance ``p(1-p)`` at ``p = baseline_rate``, so the bound is
    ``(z[1-alpha/2] + z[power]) * sqrt(2·p(1-p)/n)``. For paired arms pass ``discordant_rate``,
    the expected share of items on which the arms disagree: the per-item difference then has
    variance ``discordant_rate`` under the null hypothesis, and the paired bound is
    ``(z[1-alpha/2] + z[power]) * sqrt(discordant_rate/n)``. Pairing with uncorrelated arms
    (``discordant_rate = 2·p(1-p)``) gives back the unpaired bound.
    """
    if not 0.0 < baseline_rate < 1.0:
        raise ValueError(f"baseline_rate must lie strictly between 0 and 1, got {baseline_rate}")
    if discordant_rate is None:
        return 100.0 * mde_continuous(n, math.sqrt(baseline_rate * (1 - baseline_rate)), alpha, power)
    if not 0.0 <= discordant_rate <= 1.0:
        raise ValueError(f"discordant_rate must lie in [0, 1], got {discordant_rate}")
    return 100.0 * mde_continuous(n, math.sqrt(discordant_rate), alpha, power, paired=True)


def power_factor(alpha: float = 0.05, power: float = 0.8) -> float:
    """``(z[1-alpha/2] + z[power])²``: items needed = this x variance of a per-item difference / effect²."""
    _check_level(alpha, "alpha")
    _check_level(power, "power")
    return (_normal_quantile(1 - alpha / 2) + _normal_quantile(power)) ** 2


def items_needed(effect: float, discordant_rate: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Paired items needed to detect a true difference of ``effect`` (a proportion) with ``power``.

    The inverse of :func:`minimum_detectable_effect` for paired 0/1 outcomes:
    ``n = (z[1-alpha/2] + z[power])² · discordant_rate / effect²``, rounded up. For a
    continuous outcome pass the variance of the per-item differences as ``discordant_rate``.
    None when the effect is zero (no sample size can tell a difference of zero).
    """
    if not 0.0 <= discordant_rate:
        raise ValueError(f"discordant_rate must be non-negative, got {discordant_rate}")
    factor = power_factor(alpha, power)
    if effect == 0 or not math.isfinite(effect):
        return None
    return max(2, math.ceil(factor * discordant_rate / effect**2))
