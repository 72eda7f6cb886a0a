"""Tests of difference (paired and Welch t) and of equivalence (paired TOST)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qframe.analysis.stats._support import _check_level, _degenerate_t_test, _outcomes, _paired
from qframe.analysis.stats.results import TostResult, TTestResult

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def paired_t_test(a: ArrayLike, b: ArrayLike) -> TTestResult:
    """Paired t-test of the mean difference ``b - a``.

    When every difference is the same the t statistic is undefined: the result is statistic
    0 and p-value 1.0 if that difference is zero, otherwise an infinite statistic of its sign
    and p-value 0.0, with ``df`` NaN in both cases.
    """
    import numpy as np

    a_values, b_values = _paired(a, b, minimum=2)
    difference = b_values - a_values
    if np.ptp(difference) == 0:
        return _degenerate_t_test(float(difference[0]))
    from scipy.stats import ttest_rel

    result = ttest_rel(b_values, a_values)
    return TTestResult(float(result.statistic), float(result.pvalue), float(result.df))


def welch_t_test(a: ArrayLike, b: ArrayLike) -> TTestResult:
    """Welch's unequal-variance t-test of ``mean(b) - mean(a)`` for independent samples.

    When neither sample varies the t statistic is undefined and the result follows the same
    rule as :func:`paired_t_test`, applied to the difference of the two constants.
    """
    import numpy as np

    a_values = _outcomes(a, "a", minimum=2)
    b_values = _outcomes(b, "b", minimum=2)
    if np.ptp(a_values) == 0 and np.ptp(b_values) == 0:
        return _degenerate_t_test(float(b_values[0] - a_values[0]))
    from scipy.stats import ttest_ind

    result = ttest_ind(b_values, a_values, equal_var=False)
    return TTestResult(float(result.statistic), float(result.pvalue), float(result.df))


def tost_paired(a: ArrayLike, b: ArrayLike, margin: float = 0.01, alpha: float = 0.05) -> TostResult:
    """Paired t-based TOST: is the mean difference ``b - a`` shown to lie inside ``(-margin, +margin)``?

    Equivalence is a claim of its own: a difference test that fails to reject does not make
    arms equivalent. ``margin`` is on the outcome's scale. The verdict reads the ``1 - 2·alpha``
    t interval (see :class:`TostResult`). When every difference is the same there is no
    spread to estimate the sampling error from, so nothing is shown either way: the verdict is
    ``inconclusive`` with p-value NaN and the interval collapsed onto the difference. (For 0/1
    outcomes use :func:`equivalence_paired_binary`, whose score interval stays honest there.)
    """
    import math

    import numpy as np

    from qframe.analysis.stats.paired_proportions import verdict_from_interval

    if margin <= 0:
        raise ValueError(f"the equivalence margin must be positive, got {margin}")
    _check_level(alpha, "alpha")
    a_values, b_values = _paired(a, b)
    difference = b_values - a_values
    if np.ptp(difference) == 0:
        constant = float(difference[0])
        return TostResult(math.nan, "inconclusive", constant, constant)
    from scipy.stats import sem, t, ttest_1samp

    above_lower = ttest_1samp(difference, -margin, alternative="greater").pvalue
    below_upper = ttest_1samp(difference, margin, alternative="less").pvalue
    p_value = max(float(above_lower), float(below_upper))
    low, high = t.interval(1 - 2 * alpha, difference.size - 1, loc=difference.mean(), scale=sem(difference))
    return TostResult(p_value, verdict_from_interval(float(low), float(high), margin), float(low), float(high))
