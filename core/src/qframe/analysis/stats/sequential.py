"""Anytime-valid confidence sequences for a mean paired difference: evidence that survives looking.

A fixed-n interval (Tango's, a t interval) covers the truth with 95% probability at one
pre-planned sample size. Looked at after every block of items, with the run stopped at the first
block whose interval excludes a boundary, it is wrong far more often than 5%. A *confidence
sequence* covers the truth at every sample size at once (``P(exists t: mu not in CS_t) <=
alpha``), so a run may look after every block and stop whenever the sequence decides.

This module implements the hedged-capital betting confidence sequence (Waudby-Smith and Ramdas,
"Estimating means of bounded random variables by betting", JRSS-B 2024, Theorem 3) for
observations in [0, 1]; paired differences ``d`` in [-1, 1] (0/1 outcomes, item means, request
means) enter as ``(d + 1) / 2``. For each candidate mean ``m`` two gamblers bet that the mean lies
above or below ``m``, with the paper's predictable plug-in bets; ``m`` leaves the sequence once
their hedged wealth reaches ``1 / alpha``. Its width adapts to the observed variance (few
discordant items: a narrow sequence) and it needs no planned number of looks. The set is
evaluated on a grid of candidate means and widened to the next grid point outside it, so the
grid never makes it narrower than the exact set.

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
"""The paper's ``c``: no bet loses more than this share of the wealth; 1/2 or 3/4 are its recommendations."""
GRID = 1000
"""Candidate means on (0, 1): a resolution of 0.1% of the range (0.2 pp of a paired difference)."""
CHUNK = 256
"""Observations per step of the wealth computation (bounds memory to CHUNK x GRID)."""


def betting_cs(observations: Sequence[float], alpha: float = 0.05, target: int | None = None) -> list[Interval]:
    """The two-sided ``1 - alpha`` hedged-capital confidence sequence of the mean of ``observations`` in [0, 1].

    Returns the interval after each observation (the ``t``-th after ``t`` observations), the
    running intersection (a confidence sequence's is one too). Bets follow the paper's plug-in
    ``lambda_t = sqrt(2 log(2/alpha) / (sigma_{t-1}^2 h_t))``, capped at ``LAMBDA_CAP / m`` for the
    gambler betting above a candidate ``m`` and ``LAMBDA_CAP / (1 - m)`` below it, with
    horizon ``h_t = t log(1 + t)``, held at ``target`` once it reaches it when a run knows its
    largest size (bets then stay large enough near that size): any predictable bets give a
    valid sequence, so it holds at every ``t`` either way.
    """
    import numpy as np

    _check_level(alpha, "alpha")
    x = np.asarray(observations, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or x.min() < 0 or x.max() > 1:
        raise ValueError("a confidence sequence needs one or more observations, each within [0, 1]")
    t = np.arange(1, x.size + 1, dtype=np.float64)
    mu_hat = (0.5 + np.cumsum(x)) / (t + 1)
    sigma2_hat = (0.25 + np.cumsum((x - mu_hat) ** 2)) / (t + 1)
    previous_sigma2 = np.concatenate(([0.25], sigma2_hat[:-1]))
    horizon = t * np.log1p(t)
    if target:
        horizon = np.minimum(horizon, float(target))
    threshold = math.log(2 / alpha)  # hedged wealth max(K+, K-) / 2 >= 1/alpha
    lam = np.sqrt(2 * threshold / (previous_sigma2 * horizon))
    edges = np.linspace(0.0, 1.0, GRID + 2)
    m = edges[1:-1]
    up_cap, down_cap = LAMBDA_CAP / m, LAMBDA_CAP / (1 - m)  # wealth factors stay >= 1 - LAMBDA_CAP > 0
    wealth_up, wealth_down = np.zeros(GRID), np.zeros(GRID)
    low, high = np.empty(x.size), np.empty(x.size)
    for start in range(0, x.size, CHUNK):
        rows = slice(start, start + CHUNK)
        bet = lam[rows, None]
        deviation = x[rows, None] - m[None, :]
        up = wealth_up + np.cumsum(np.log1p(np.minimum(bet, up_cap) * deviation), axis=0)
        down = wealth_down + np.cumsum(np.log1p(-np.minimum(bet, down_cap) * deviation), axis=0)
        wealth_up, wealth_down = up[-1], down[-1]
        inside = np.maximum(up, down) < threshold
        found = inside.any(axis=1)
        first = np.argmax(inside, axis=1)
        last = GRID - 1 - np.argmax(inside[:, ::-1], axis=1)
        # widen to the next candidate outside the set (edges[i] is the candidate below m[i])
        low[rows] = np.where(found, edges[first], 1.0)
        high[rows] = np.where(found, edges[last + 2], 0.0)
    low = np.maximum.accumulate(low)
    high = np.minimum.accumulate(high)
    return [Interval(float(lo), float(max(hi, lo))) for lo, hi in zip(low, high, strict=True)]


def paired_difference_cs(differences: Sequence[float], alpha: float = 0.05, target: int | None = None) -> list[Interval]:
    """Confidence sequence of the mean of paired differences in [-1, 1], on the difference's scale.

    The differences must come in an order that does not depend on their values (the run's
    random block order); each unit (item, request) enters once. ``target`` as in
    :func:`betting_cs`.
    """
    import numpy as np

    d = np.asarray(differences, dtype=np.float64)
    if d.size and (d.min() < -1 or d.max() > 1):
        raise ValueError("paired differences of bounded outcomes lie within [-1, 1]")
    return [Interval(2 * i.low - 1, 2 * i.high - 1) for i in betting_cs((d + 1) / 2, alpha, target)]
