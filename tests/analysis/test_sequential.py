"""Anytime-valid confidence sequences: they cover the mean at every look, where fixed-n intervals do not."""

from __future__ import annotations

import numpy as np
import pytest

from qframe.analysis.stats import tango_interval
from qframe.analysis.stats.sequential import betting_cs, paired_difference_cs

BLOCK, LOOKS, RUNS = 25, 40, 300


def _paired_binary(rng: np.random.Generator, n: int, delta: float, discordance: float = 0.2) -> np.ndarray:
    u = rng.random(n)
    gained, lost = (discordance + delta) / 2, (discordance - delta) / 2
    return np.where(u < gained, 1.0, np.where(u < gained + lost, -1.0, 0.0))


def test_the_sequence_covers_at_every_look_while_peeking_at_fixed_n_intervals_does_not():
    """Looked at after every block of 25 items up to 1,000, with a true delta of 0: the fixed-n
    Tango interval excludes the truth at some look in far more than 5% of runs; the sequence not."""
    rng = np.random.default_rng(2026)
    sequence_misses = fixed_misses = 0
    for _ in range(RUNS):
        d = _paired_binary(rng, BLOCK * LOOKS, 0.0)
        cs = paired_difference_cs(d, 0.05)
        looks = range(BLOCK - 1, BLOCK * LOOKS, BLOCK)
        sequence_misses += any(not cs[t].low <= 0.0 <= cs[t].high for t in looks)
        gained, lost = np.cumsum(d > 0), np.cumsum(d < 0)
        fixed_misses += any(
            not (i := tango_interval(int(gained[t]), int(lost[t]), t + 1, 0.95)).low <= 0.0 <= i.high for t in looks
        )
    assert sequence_misses / RUNS <= 0.05
    assert fixed_misses / RUNS > 0.15  # the error rate the sequence exists to prevent


def test_the_sequence_narrows_and_decides_a_real_collapse_early():
    rng = np.random.default_rng(7)
    d = _paired_binary(rng, 400, -0.3, discordance=0.4)
    cs = paired_difference_cs(d, 0.05)
    first_decided = next(t for t, interval in enumerate(cs) if interval.high < -0.10)
    assert first_decided < 250  # of 400: stops well before the pool is spent
    widths = [i.high - i.low for i in cs]
    assert widths[-1] < widths[49] < widths[9]
    assert all(a.low <= b.low and b.high <= a.high for a, b in zip(cs, cs[1:]))  # running intersection


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="within \\[0, 1\\]"):
        betting_cs([0.5, 1.5])
    with pytest.raises(ValueError, match="within \\[-1, 1\\]"):
        paired_difference_cs([-2.0])
