"""Multiple comparisons: Holm's step-down correction, overall and per family."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence

from qframe.analysis.stats.results import K


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
