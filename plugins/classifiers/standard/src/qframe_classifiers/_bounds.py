"""Threshold comparisons that keep the method's inclusive bounds inclusive for computed deltas.

Deltas reach the rules as differences of floating-point means scaled to percentage points, so a
delta that sits exactly on a threshold on paper (146/220 - 168/220 of refusals is -10pp) can land
a few ulps on either side of it. Values within ``TOLERANCE`` of a bound count as on the bound.
"""

from __future__ import annotations

import math

TOLERANCE = 1e-9
"""Largest distance, in the delta's own unit, at which a value still counts as equal to a bound."""


def at_least(value: float, bound: float) -> bool:
    """``value >= bound``, counting values within rounding noise of ``bound`` as equal to it."""
    return value >= bound - TOLERANCE


def at_most(value: float, bound: float) -> bool:
    """``value <= bound``, counting values within rounding noise of ``bound`` as equal to it."""
    return value <= bound + TOLERANCE


def require_finite(name: str, value: float) -> float:
    """``value`` itself, or a ``ValueError`` naming it when it is NaN or infinite."""
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value
