"""Agreement between two raters: Cohen's kappa with a bootstrap interval."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import product

from qframe.analysis.stats._support import _codes, _kappa, _percentile_interval, _resample_weights
from qframe.analysis.stats.results import KappaResult


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
