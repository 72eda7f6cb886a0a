"""Anytime-valid confidence sequences for a mean paired difference: evidence that survives looking.

A fixed-n interval (Tango's, a t interval) covers the truth with 95% probability at one
pre-planned sample size. Looked at after every block of items, with the run stopped at the first
block whose interval excludes a boundary, it is wrong far more often than 5%. A *confidence
sequence* covers the truth at every sample size at once (``P(exists t: mu not in CS_t) <=
alpha``), so a run may look after every block and stop whenever the sequence decides.

This module implements the predictable plug-in empirical-Bernstein confidence sequence (PrPl-EB;
Waudby-Smith and Ramdas, "Estimating means of bounded random variables by betting", JRSS-B 2024,
Theorem 2) for observations in [0, 1]; paired differences ``d`` in [-1, 1] (0/1 outcomes, item
means, request means) enter as ``(d + 1) / 2``. Its width adapts to the observed variance (few
discordant items: a narrow sequence) and it needs no planned number of looks.

Written here rather than taken from a library: ``expectation`` requires Python 3.12 or newer
(qframe supports 3.11), and ``confseq`` (last release 0.0.11) builds a C++ extension from
source against a pinned pybind11 2.6 and pulls in matplotlib and multiprocess; the estimator
itself is a few vectorised sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from qframe.analysis.stats._support import _check_level
from qframe.analysis.stats.results import Interval

LAMBDA_CAP = 0.5
"""Largest bet (the paper's ``c``); 1/2 or 3/4 are its recommendations."""


def empirical_bernstein_cs(observations: Sequence[float], alpha: float = 0.05) -> list[Interval]:
    """The two-sided ``1 - alpha`` PrPl-EB confidence sequence of the mean of ``observations`` in [0, 1].

    Returns the interval after each observation (the ``t``-th after ``t`` observations), each
    clipped to [0, 1] and intersected with the one before (the running intersection of a
    confidence sequence is one too).
    """
    import numpy as np

    _check_level(alpha, "alpha")
    x = np.asarray(observations, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or x.min() < 0 or x.max() > 1:
        raise ValueError("a confidence sequence needs one or more observations, each within [0, 1]")
    t = np.arange(1, x.size + 1, dtype=np.float64)
    mu_hat = (0.5 + np.cumsum(x)) / (t + 1)
    sigma2_hat = (0.25 + np.cumsum((x - mu_hat) ** 2)) / (t + 1)
    previous_mu = np.concatenate(([0.5], mu_hat[:-1]))
    previous_sigma2 = np.concatenate(([0.25], sigma2_hat[:-1]))
    log_term = math.log(2 / alpha)
    lam = np.minimum(np.sqrt(2 * log_term / (previous_sigma2 * t * np.log1p(t))), LAMBDA_CAP)
    psi = (-np.log1p(-lam) - lam) / 4
    v = 4 * (x - previous_mu) ** 2
    lam_sum = np.cumsum(lam)
    centre = np.cumsum(lam * x) / lam_sum
    half = (log_term + np.cumsum(v * psi)) / lam_sum
    low = np.maximum.accumulate(np.clip(centre - half, 0.0, 1.0))
    high = np.minimum.accumulate(np.clip(centre + half, 0.0, 1.0))
    return [Interval(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]


def paired_difference_cs(differences: Sequence[float], alpha: float = 0.05) -> list[Interval]:
    """Confidence sequence of the mean of paired differences in [-1, 1], on the difference's scale.

    The differences must come in an order that does not depend on their values (the run's
    random block order); each unit (item, request) enters once.
    """
    import numpy as np

    d = np.asarray(differences, dtype=np.float64)
    if d.size and (d.min() < -1 or d.max() > 1):
        raise ValueError("paired differences of bounded outcomes lie within [-1, 1]")
    return [Interval(2 * i.low - 1, 2 * i.high - 1) for i in empirical_bernstein_cs((d + 1) / 2, alpha)]
