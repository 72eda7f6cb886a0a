"""Paired statistics for comparing a quantized variant with its baseline on the same items.

Conventions shared by every function:

* ``a`` is the baseline arm and ``b`` the variant. Each holds one outcome per item, both in the
  same item order (the paired design). Differences are ``b - a``: a negative delta means the
  variant scores lower than its baseline.
* Binary outcomes are 0/1 or booleans; continuous outcomes are any finite numbers.
* Invalid input (an empty arm, arms of different lengths, NaN or infinite values, out-of-range
  parameters) raises ``ValueError``. Valid but degenerate input (no spread, no discordant
  pairs, a single label) gets the result each function documents.

numpy and scipy are imported inside the functions that use them, so importing this module stays
cheap. statsmodels is not used at run time (importing it costs about 2 s, mostly pandas); the
tests check every result against statsmodels instead.

Bootstrap resamples are drawn once per (size, resamples, seed) and reused:
a seeded bootstrap is deterministic, and the many comparisons of one analysis (every variant
against the same items) share one draw instead of paying for it again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import lru_cache
from itertools import product
from typing import TYPE_CHECKING, TypeVar

import attrs

if TYPE_CHECKING:
    import numpy
    from numpy.typing import ArrayLike

K = TypeVar("K", bound=Hashable)

MCNEMAR_EXACT_MAX_DISCORDANT = 25
"""McNemar uses the exact binomial test up to this many discordant pairs, chi-square above it."""


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


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

    ``p_value`` is the larger of the two one-sided p-values; ``equivalent`` holds when it is
    below ``alpha``. ``low`` and ``high`` bound the ``1 - 2·alpha`` confidence interval of the
    mean difference, which lies inside ``±margin`` exactly when equivalence is shown.
    """

    p_value: float
    equivalent: bool
    low: float
    high: float


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


# --------------------------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a proportion of ``successes`` out of ``n``.

    Unlike the normal (Wald) interval it stays inside [0, 1] and keeps its coverage near 0 and
    1, which matters for accuracies and win rates measured on a few hundred items.
    """
    if n <= 0:
        raise ValueError(f"a proportion needs at least one trial, got n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, n={n}], got {successes}")
    _check_level(confidence, "confidence")
    from scipy.stats import binomtest

    interval = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Interval(float(interval.low), float(interval.high))


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


# --------------------------------------------------------------------------------------------
# Bootstrap confidence intervals
# --------------------------------------------------------------------------------------------


def paired_bootstrap_delta(
    a: ArrayLike,
    b: ArrayLike,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 42,
) -> DeltaCI:
    """Mean paired difference ``b - a`` with a percentile bootstrap interval over items.

    Items are resampled with replacement and both arms follow the same draw, so the interval
    keeps the variance reduction that pairing buys. The resampling is done here rather than by
    ``scipy.stats.bootstrap`` so that all variants compared on the same items share one draw.
    """
    a_values, b_values = _paired(a, b)
    difference = b_values - a_values
    weights = _resample_weights(difference.size, n_resamples, seed)
    resampled_means = weights @ difference / difference.size
    low, high = _percentile_interval(resampled_means, confidence)
    return DeltaCI(float(difference.mean()), low, high)


def paired_bootstrap_deltas(
    pairs: Sequence[tuple[ArrayLike, ArrayLike]],
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 42,
) -> list[DeltaCI]:
    """``paired_bootstrap_delta(a, b)`` for every ``(a, b)`` in ``pairs``, with one matrix product.

    All pairs cover the same number of items, so one resampling matrix times the matrix of
    per-item differences gives every resampled mean at once: the same results as separate
    calls, at a fraction of the memory traffic.
    """
    import numpy as np

    if not pairs:
        return []
    differences = np.column_stack([b_values - a_values for a_values, b_values in (_paired(a, b) for a, b in pairs)])
    n = differences.shape[0]
    weights = _resample_weights(n, n_resamples, seed)
    resampled_means = weights @ differences / n
    _check_level(confidence, "confidence")
    tail = (1.0 - confidence) / 2.0
    lows, highs = np.quantile(resampled_means, [tail, 1.0 - tail], axis=0)
    means = differences.mean(axis=0)
    return [DeltaCI(float(m), float(lo), float(hi)) for m, lo, hi in zip(means, lows, highs, strict=True)]


def cluster_bootstrap_delta(
    a: ArrayLike,
    b: ArrayLike,
    clusters: Sequence[Hashable],
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 42,
) -> DeltaCI:
    """Mean paired difference ``b - a`` with a bootstrap interval that resamples whole clusters.

    Items of one cluster (the questions of one MMLU subject) are correlated, so resampling
    items one by one understates the variance. Here clusters are drawn with replacement and
    each drawn cluster brings all its items; a resample's delta is the mean over those items.
    scipy offers no cluster bootstrap, hence the hand-written resampling.
    """
    import numpy as np

    a_values, b_values = _paired(a, b)
    if len(clusters) != a_values.size:
        raise ValueError(f"clusters must name one cluster per item: {len(clusters)} labels, {a_values.size} items")
    cluster_of_item, cluster_names = _codes(clusters)
    n_clusters = len(cluster_names)
    difference = b_values - a_values
    cluster_totals = np.bincount(cluster_of_item, weights=difference, minlength=n_clusters)
    cluster_sizes = np.bincount(cluster_of_item, minlength=n_clusters).astype(np.float64)
    weights = _resample_weights(n_clusters, n_resamples, seed)
    resampled_means = (weights @ cluster_totals) / (weights @ cluster_sizes)
    low, high = _percentile_interval(resampled_means, confidence)
    return DeltaCI(float(difference.mean()), low, high)


# --------------------------------------------------------------------------------------------
# Tests of difference and of equivalence
# --------------------------------------------------------------------------------------------


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
    """Paired TOST: is the mean difference ``b - a`` shown to lie inside ``(-margin, +margin)``?

    Equivalence is a claim of its own: a difference test that fails to reject does not make
    arms equivalent. ``margin`` is on the outcome's scale (0.01 is one percentage point for a
    0/1 outcome). When every difference is the same there is no sampling spread: the result is
    equivalent, with p-value 0.0, exactly when that difference lies strictly inside the margin,
    otherwise not equivalent with p-value 1.0; the interval collapses onto the difference.
    """
    import numpy as np

    if margin <= 0:
        raise ValueError(f"the equivalence margin must be positive, got {margin}")
    _check_level(alpha, "alpha")
    a_values, b_values = _paired(a, b)
    difference = b_values - a_values
    if np.ptp(difference) == 0:
        constant = float(difference[0])
        inside = -margin < constant < margin
        return TostResult(0.0 if inside else 1.0, inside, constant, constant)
    from scipy.stats import sem, t, ttest_1samp

    above_lower = ttest_1samp(difference, -margin, alternative="greater").pvalue
    below_upper = ttest_1samp(difference, margin, alternative="less").pvalue
    p_value = max(float(above_lower), float(below_upper))
    low, high = t.interval(1 - 2 * alpha, difference.size - 1, loc=difference.mean(), scale=sem(difference))
    return TostResult(p_value, bool(p_value < alpha), float(low), float(high))


# --------------------------------------------------------------------------------------------
# Multiple comparisons
# --------------------------------------------------------------------------------------------


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the order given; controls the family-wise error."""
    values = [float(p) for p in p_values]
    if not values:
        return []
    if not all(0.0 <= p <= 1.0 for p in values):
        raise ValueError(f"p-values must lie in [0, 1], got {values}")
    # Holm's step-down rule written out: statsmodels' multipletests forces a full garbage
    # collection on every call (about 0.2 s here), which an analysis with many families repeats.
    order = sorted(range(len(values)), key=values.__getitem__)
    adjusted = [0.0] * len(values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(values) - rank) * values[index]))
        adjusted[index] = running
    return adjusted


def holm_by_family(p_by_key: Mapping[K, float], family_of: Callable[[K], Hashable]) -> dict[K, float]:
    """Holm-adjust p-values within each family, never across families.

    ``family_of`` names the family of a key (for example the task of a (task, variant) pair),
    so each task's pairwise tests are corrected among themselves. Keys keep their input order.
    """
    families: dict[Hashable, list[K]] = {}
    for key in p_by_key:
        families.setdefault(family_of(key), []).append(key)
    adjusted: dict[K, float] = {}
    for keys in families.values():
        adjusted.update(zip(keys, holm([p_by_key[key] for key in keys]), strict=True))
    return {key: adjusted[key] for key in p_by_key}


# --------------------------------------------------------------------------------------------
# Effect sizes and resolution
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Rater agreement
# --------------------------------------------------------------------------------------------


def cohen_kappa(
    labels_a: Sequence[Hashable],
    labels_b: Sequence[Hashable],
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 42,
) -> KappaResult:
    """Cohen's kappa of two raters labelling the same items, with a bootstrap interval over items.

    Kappa is observed agreement corrected for the agreement the raters' label frequencies
    would produce by chance. When both raters used one and the same label throughout, chance
    agreement is total and the ratio is undefined; such perfect agreement counts as kappa 1.0.
    The formula is evaluated here rather than by statsmodels' ``cohens_kappa`` so that all
    bootstrap resamples go through one vectorised computation instead of a call each.
    """
    import numpy as np

    if len(labels_a) != len(labels_b):
        raise ValueError(f"raters labelled different numbers of items: {len(labels_a)} vs {len(labels_b)}")
    if len(labels_a) == 0:
        raise ValueError("no items to compare")
    codes, categories = _codes([*labels_a, *labels_b])
    k = len(categories)
    cell_of_item = codes[: len(labels_a)] * k + codes[len(labels_a) :]
    table = np.bincount(cell_of_item, minlength=k * k).astype(np.float64)
    kappa, agreement = _kappa(table[np.newaxis, :], k)
    item_cells = np.zeros((cell_of_item.size, k * k))
    item_cells[np.arange(cell_of_item.size), cell_of_item] = 1.0
    resampled_tables = _resample_weights(cell_of_item.size, n_resamples, seed) @ item_cells
    low, high = _percentile_interval(_kappa(resampled_tables, k)[0], confidence)
    confusion = {
        (label_a, label_b): int(count)
        for (label_a, label_b), count in zip(product(categories, repeat=2), table, strict=True)
    }
    return KappaResult(float(kappa[0]), low, high, float(agreement[0]), confusion)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


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
