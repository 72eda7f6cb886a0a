"""Input checks and numeric helpers shared by the statistics modules."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from qframe.analysis.stats.results import TTestResult

if TYPE_CHECKING:
    import numpy
    from numpy.typing import ArrayLike


def _outcomes(values: ArrayLike, name: str, minimum: int = 1) -> numpy.ndarray:
    """``values`` as a 1-D float array of at least ``minimum`` finite numbers."""
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of per-item outcomes, got shape {array.shape}")
    if array.size < minimum:
        raise ValueError(f"{name} needs at least {minimum} outcome(s), got {array.size}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite outcomes")
    return array


def _paired(a: ArrayLike, b: ArrayLike, minimum: int = 1) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Both arms as float arrays of the same length (one outcome per item)."""
    a_values = _outcomes(a, "a", minimum)
    b_values = _outcomes(b, "b", minimum)
    if a_values.size != b_values.size:
        raise ValueError(f"paired arms must cover the same items: {a_values.size} vs {b_values.size} outcomes")
    return a_values, b_values


def _paired_binary(a: ArrayLike, b: ArrayLike) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Both arms as boolean arrays of the same length; rejects anything but 0/1 outcomes."""
    import numpy as np

    a_values, b_values = _paired(a, b)
    for name, values in (("a", a_values), ("b", b_values)):
        if not np.isin(values, (0.0, 1.0)).all():
            raise ValueError(f"{name} must hold binary (0/1) outcomes")
    return a_values.astype(bool), b_values.astype(bool)


def _codes(labels: Sequence[Hashable]) -> tuple[numpy.ndarray, list[Hashable]]:
    """An integer code per label and the distinct labels, numbered in order of first appearance."""
    import numpy as np

    position: dict[Hashable, int] = {}
    codes = np.fromiter((position.setdefault(label, len(position)) for label in labels), dtype=np.intp)
    return codes, list(position)


def _check_level(value: float, name: str) -> None:
    """Reject a probability-like parameter (confidence, alpha, power) outside (0, 1)."""
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")


@lru_cache(maxsize=4)
def _resample_weights(n: int, n_resamples: int, seed: int) -> numpy.ndarray:
    """How many times each of ``n`` units is drawn in each bootstrap resample, shape (resamples, n).

    Counting the draws turns every resampled sum into one matrix product with these weights,
    which is what makes a bootstrap over thousands of items and resamples take milliseconds.
    The array is cached (read-only) because every variant of an analysis resamples the same
    items with the same seed; it takes ``8 * n_resamples * n`` bytes (16 MB for 1,000 items and
    2,000 resamples).
    """
    import numpy as np

    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    draws = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    draws += np.arange(n_resamples)[:, np.newaxis] * n
    weights = np.bincount(draws.ravel(), minlength=n_resamples * n).reshape(n_resamples, n)
    weights = weights.astype(np.float64)
    weights.setflags(write=False)
    return weights


def _percentile_interval(resampled: numpy.ndarray, confidence: float) -> tuple[float, float]:
    """Equal-tailed percentile interval of bootstrap replicates."""
    import numpy as np

    _check_level(confidence, "confidence")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(resampled, [tail, 1.0 - tail])
    return float(low), float(high)


def _kappa(tables: numpy.ndarray, k: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Kappa and observed agreement of each row of ``tables``, a flattened k-by-k count table."""
    import numpy as np

    counts = tables.reshape(-1, k, k)
    total = counts.sum(axis=(1, 2))
    observed = np.trace(counts, axis1=1, axis2=2) / total
    chance = np.einsum("ti,ti->t", counts.sum(axis=2), counts.sum(axis=1)) / total**2
    single_label = np.isclose(chance, 1.0, rtol=0.0, atol=1e-12)
    kappa = np.where(single_label, 1.0, (observed - chance) / np.where(single_label, 1.0, 1.0 - chance))
    return kappa, observed


def _standardised(difference: float, spread: float) -> float:
    """``difference / spread``; with no spread, 0.0 for no difference, else signed infinity."""
    if spread > 0:
        return difference / spread
    return 0.0 if difference == 0 else math.copysign(math.inf, difference)


def _degenerate_t_test(difference: float) -> TTestResult:
    """The t-test outcome when the data have no spread and only the difference itself is known."""
    if difference == 0:
        return TTestResult(0.0, 1.0, math.nan)
    return TTestResult(math.copysign(math.inf, difference), 0.0, math.nan)
