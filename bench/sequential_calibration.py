"""Stopping when decided: wrong verdicts and items used, confidence sequence vs peeking vs a fixed design.

Simulated paired outcomes, the question a run's gate asks: is the variant non-inferior at a
margin of 5 pp (tested at alpha = 5%, so read from the 90% interval, as the analysis reads it)?
Three kinds of outcomes: binary; bounded (each item the mean of 3 repetitions of 0/1
outcomes); clustered (20 clusters of equal size whose discordance runs from 10% to 30% and
whose deltas spread ±5 pp around the true delta, drawn in the stratified order a run uses).
20% of items discordant on average; true deltas 0, -5 pp (on the margin: ``non_inferior`` is
wrong), -10 pp and -20 pp (a collapse).

- fixed design: the items ``qframe power`` plans before the run for non-inferiority at the
  margin with a true delta of 0 at 80% power (628 here), looked at once;
- sequence: :func:`qframe.analysis.stats.sequential.paired_difference_cs` in the run's draw
  order with the bets tuned to the fixed design's items (``target``, as a stopping run with
  ``max_items`` does), looked at after every block of 50 items, stopped at the first decided
  look, never beyond the fixed design's items;
- peeking: the fixed-n interval (Tango's; the bounded interval for item means), looked at after
  every block as if each look were the only one.

Printed per cell: the share of runs with a wrong verdict (target: at most alpha = 5%), the share
decided, and the mean items used.

    .venv/bin/python bench/sequential_calibration.py [--runs 2000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from qframe.analysis.stats import bounded_interval, items_needed, tango_interval
from qframe.analysis.stats.sequential import paired_difference_cs

ALPHA, MARGIN, BLOCK, DISCORDANCE, REPETITIONS, CLUSTERS = 0.05, 0.05, 50, 0.2, 3, 20
LEVEL = 1 - 2 * ALPHA
FIXED = items_needed(MARGIN, DISCORDANCE, ALPHA, 0.8)
DELTAS = (0.0, -MARGIN, -2 * MARGIN, -0.20)
KINDS = ("binary", "bounded", "clustered")


def _pairs(rng: np.random.Generator, n: int, delta: np.ndarray, discordance: np.ndarray) -> np.ndarray:
    u = rng.random(n)
    gained, lost = (discordance + delta) / 2, (discordance - delta) / 2
    return np.where(u < gained, 1.0, np.where(u < gained + lost, -1.0, 0.0))


def draw(rng: np.random.Generator, delta: float, kind: str) -> np.ndarray:
    """Per-item differences in draw order."""
    if kind == "clustered":
        spread = rng.uniform(-MARGIN, MARGIN, CLUSTERS)
        cluster_delta = delta + spread - spread.mean()  # the pool's mean delta is exactly ``delta``
        cluster_discordance = np.maximum(np.linspace(0.1, 0.3, CLUSTERS), np.abs(cluster_delta) + 0.02)
        rounds = -(-FIXED // CLUSTERS)
        order = np.concatenate([rng.permutation(CLUSTERS) for _ in range(rounds)])[:FIXED]  # stratified draw
        return _pairs(rng, FIXED, cluster_delta[order], cluster_discordance[order])
    repetitions = REPETITIONS if kind == "bounded" else 1
    total = sum(_pairs(rng, FIXED, np.full(FIXED, delta), np.full(FIXED, DISCORDANCE)) for _ in range(repetitions))
    return total / repetitions


def fixed_interval(d: np.ndarray, kind: str) -> tuple[float, float]:
    if kind == "bounded":
        interval = bounded_interval(d, LEVEL)
    else:
        interval = tango_interval(int((d > 0).sum()), int((d < 0).sum()), d.size, LEVEL)
    return interval.low, interval.high


def verdict(low: float, high: float) -> str | None:
    if low > -MARGIN:
        return "non_inferior"
    if high < -MARGIN:
        return "inferior"
    return None


def first_decision(interval_at, looks) -> tuple[str | None, int]:
    for t in looks:
        found = verdict(*interval_at(t))
        if found:
            return found, t + 1
    return None, FIXED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    runs = parser.parse_args().runs
    started = time.perf_counter()
    looks = [*range(BLOCK - 1, FIXED - 1, BLOCK), FIXED - 1]
    methods = ("fixed", "sequence", "peeking")
    print(f"{runs} runs per cell; non-inferiority at -{100 * MARGIN:g} pp, alpha {ALPHA:g}; fixed design {FIXED} items; "
          f"a look every {BLOCK} items up to it")
    print("| outcomes | true delta | " + " | ".join(f"{m}: wrong | {m}: decided | {m}: mean items" for m in methods) + " |")
    print("| --- | --- |" + " --- | --- | --- |" * len(methods))
    mean_items: dict[str, list[float]] = {m: [] for m in methods}
    for kind in KINDS:
        for delta in DELTAS:
            rng = np.random.default_rng(int(1000 * -delta) + 7 * KINDS.index(kind))
            wrong = dict.fromkeys(methods, 0)
            decided = dict.fromkeys(methods, 0)
            used = dict.fromkeys(methods, 0)
            right = "non_inferior" if delta > -MARGIN + 1e-12 else "inferior"
            for _ in range(runs):
                d = draw(rng, delta, kind)
                cs = paired_difference_cs(d, 2 * ALPHA, target=FIXED)
                outcomes = {
                    "fixed": (verdict(*fixed_interval(d, kind)), FIXED),
                    "sequence": first_decision(lambda t, cs=cs: (cs[t].low, cs[t].high), looks),
                    "peeking": first_decision(lambda t, d=d: fixed_interval(d[: t + 1], kind), looks),
                }
                for method, (found, items) in outcomes.items():
                    wrong[method] += found is not None and found != right
                    decided[method] += found is not None
                    used[method] += items
            for method in methods:
                mean_items[method].append(used[method] / runs)
            cells = " | ".join(f"{wrong[m] / runs:.3f} | {decided[m] / runs:.2f} | {used[m] / runs:.0f}" for m in methods)
            print(f"| {kind} | {100 * delta:+.0f} pp | {cells} |")
    for method in methods:
        average = sum(mean_items[method]) / len(mean_items[method])
        print(f"{method}: mean items over the cells {average:.0f} ({100 * (1 - average / FIXED):.0f}% fewer than the fixed design)")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
