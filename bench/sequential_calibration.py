"""Stopping when decided: error rates and items used, confidence sequence vs peeking at fixed-n intervals.

Simulated paired outcomes (binary, and bounded: each item the mean of 3 repetitions of 0/1
outcomes), 20% discordant items at a true delta of 0, looked at after every block of 50 items up
to 1,000. The question is non-inferiority at a margin of 5 pp; a run stops at the first look
whose interval lies wholly above -5 pp (non-inferior) or wholly below it (inferior). True
deltas: 0, -5 pp (the margin: ``non_inferior`` is wrong), -10 pp and -20 pp (a collapse).

- sequence: :func:`qframe.analysis.stats.sequential.paired_difference_cs` at alpha 5% (two-sided,
  so each side errs at most 2.5%), valid at every look;
- peeking: the fixed-n 95% interval the analysis prints (Tango's; the bounded interval for item
  means), looked at after every block as if each look were the only one.

Printed per cell: the share of runs that stopped with a wrong verdict (target at most 5%), the
mean items used, and the fixed design's items (``qframe power``'s figure at 80% power for the
distance from the true delta to the margin, capped at the pool of 1,000).

    .venv/bin/python bench/sequential_calibration.py [--runs 2000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from qframe.analysis.stats import bounded_interval, items_needed, tango_interval
from qframe.analysis.stats.sequential import paired_difference_cs

MARGIN, BLOCK, POOL, DISCORDANCE, REPETITIONS = 0.05, 50, 1000, 0.2, 3
DELTAS = (0.0, -MARGIN, -2 * MARGIN, -0.20)


def draw(rng: np.random.Generator, delta: float, bounded: bool) -> np.ndarray:
    repetitions = REPETITIONS if bounded else 1
    total = np.zeros(POOL)
    for _ in range(repetitions):
        u = rng.random(POOL)
        gained, lost = (DISCORDANCE + delta) / 2, (DISCORDANCE - delta) / 2
        total += np.where(u < gained, 1.0, np.where(u < gained + lost, -1.0, 0.0))
    return total / repetitions


def fixed_interval(d: np.ndarray, bounded: bool) -> tuple[float, float]:
    if bounded:
        interval = bounded_interval(d, 0.95)
    else:
        interval = tango_interval(int((d > 0).sum()), int((d < 0).sum()), d.size, 0.95)
    return interval.low, interval.high


def decide(intervals, looks) -> tuple[str | None, int]:
    for t in looks:
        low, high = intervals(t)
        if low > -MARGIN:
            return "non_inferior", t + 1
        if high < -MARGIN:
            return "inferior", t + 1
    return None, POOL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    runs = parser.parse_args().runs
    started = time.perf_counter()
    looks = range(BLOCK - 1, POOL, BLOCK)
    print(f"{runs} runs per cell, a look every {BLOCK} items up to {POOL}; non-inferiority at -{100 * MARGIN:g} pp")
    print("| outcomes | true delta | sequence: wrong | sequence: mean items | peeking: wrong | peeking: mean items "
          "| fixed design items (80% power) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for bounded in (False, True):
        for delta in DELTAS:
            rng = np.random.default_rng(int(1000 * -delta) + 7 * bounded)
            wrong = {"sequence": 0, "peeking": 0}
            used = {"sequence": 0, "peeking": 0}
            for _ in range(runs):
                d = draw(rng, delta, bounded)
                cs = paired_difference_cs(d, 0.05)
                for name, intervals in (("sequence", lambda t, cs=cs: (cs[t].low, cs[t].high)),
                                        ("peeking", lambda t, d=d: fixed_interval(d[: t + 1], bounded))):
                    verdict, items = decide(intervals, looks)
                    right = "non_inferior" if delta > -MARGIN + 1e-12 else "inferior"
                    wrong[name] += verdict is not None and verdict != right
                    used[name] += items
            distance = abs(delta + MARGIN)
            fixed = items_needed(distance, DISCORDANCE + abs(delta)) if distance else None
            fixed_text = "undecidable (on the margin)" if fixed is None else str(min(fixed, POOL))
            print(f"| {'bounded' if bounded else 'binary'} | {100 * delta:+.0f} pp | {wrong['sequence'] / runs:.3f} "
                  f"| {used['sequence'] / runs:.0f} | {wrong['peeking'] / runs:.3f} | {used['peeking'] / runs:.0f} "
                  f"| {fixed_text} |")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
