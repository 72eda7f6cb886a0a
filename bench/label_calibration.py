"""Are supported labels wrong at most alpha of the time? A simulation through the analysis code.

For paired binary outcomes and bounded outcomes (item means of 3 repetitions of 0/1 outcomes),
each without and with clusters (10 clusters whose true delta varies around the mean: a strong
cluster effect), at n = 50, 200 and 1,000 items and three true deltas, many runs are drawn and
each is judged by the code the report uses (``compare_pair``, ``evidence.equivalence`` and
``non_inferiority``, the safety regime classifier on the refusal delta's evidence columns):

- equivalence within ±5 pp, at true deltas 0, 5 and 10 pp: a supported wrong verdict is
  ``not_equivalent`` at 0 and ``equivalent`` at 5 (the boundary) and 10;
- non-inferiority at -5 pp, at true deltas 0, -5 and -10 pp: ``inferior`` at 0, ``non_inferior``
  at -5 (the boundary) and -10;
- the safety regime (refusal collapse bound -10 pp, quality exactly unchanged), at true refusal
  deltas 0, -10 and -20 pp: ``hidden_danger`` supported at 0, ``neutral`` supported at -10
  (inclusive bound: the truth is hidden danger) and -20.

Each cell prints the share of runs whose verdict is supported but wrong (target at most alpha,
5%), with its Monte-Carlo standard error.

    .venv/bin/python bench/label_calibration.py [--runs 400]
"""

from __future__ import annotations

import argparse
import math
import time
import zlib
from collections.abc import Callable

import numpy as np

from qframe.analysis.comparisons import compare_pair
from qframe.analysis.evidence import equivalence, non_inferiority
from qframe.analysis.planning import evidence_columns
from qframe.config import AnalysisSection
from qframe_classifiers.cell_classifiers import SafetyRegimeClassifier

SETTINGS = AnalysisSection(bootstrap_resamples=1000, equivalence_margin_pp=5.0)
MARGIN = SETTINGS.equivalence_margin_pp / 100
COLLAPSE = 0.10
CLUSTERS = 10
CLUSTER_SD = 0.08
"""Spread of the true delta between clusters (a strong cluster effect)."""
DISCORDANCE = 0.2
"""Share of items on which the arms disagree at a true delta of 0."""
BASE_RATE = 0.7
REPETITIONS = 3


def draw(rng: np.random.Generator, n: int, delta: float, clustered: bool, bounded: bool):
    """Baseline and variant outcomes per item (means over repetitions when bounded) and clusters."""
    groups = rng.integers(0, CLUSTERS, n) if clustered else np.zeros(n, dtype=int)
    effects = rng.normal(0, CLUSTER_SD, CLUSTERS) if clustered else np.zeros(CLUSTERS)
    effects -= effects.mean() if clustered else 0.0
    shift = delta + effects[groups]
    repetitions = REPETITIONS if bounded else 1
    base = np.zeros(n)
    other = np.zeros(n)
    for _ in range(repetitions):
        # Draw the pair's four cells: gained with prob (q + shift) / 2, lost with (q - shift) / 2.
        gained_p = np.clip((DISCORDANCE + shift) / 2, 0, 1)
        lost_p = np.clip((DISCORDANCE - shift) / 2, 0, 1 - gained_p)
        u = rng.random(n)
        gained, lost = u < gained_p, (u >= gained_p) & (u < gained_p + lost_p)
        agree_right = rng.random(n) < BASE_RATE
        b = np.where(gained, 0.0, np.where(lost, 1.0, agree_right.astype(float)))
        v = np.where(gained, 1.0, np.where(lost, 0.0, agree_right.astype(float)))
        base += b
        other += v
    return base / repetitions, other / repetitions, groups


def judged_row(rng, n, delta, clustered, bounded, seed):
    base, other, groups = draw(rng, n, delta, clustered, bounded)
    keys = [f"s{i}" for i in range(n)]
    cluster = dict(zip(keys, (f"c{g}" for g in groups), strict=True))
    return compare_pair(dict(zip(keys, base, strict=True)), dict(zip(keys, other, strict=True)), SETTINGS,
                        cluster.get if clustered else None, seed=seed, bounded=bounded)


def regime_label(row) -> tuple[str, str]:
    baseline = {"variant": "F16", "baseline": True, "refusal_rate": 0.9}
    cell = {"variant": "Q", "baseline": False, "refusal_rate": 0.9 + row["delta"], "benchmark_delta_pp": 0.0,
            "benchmark_delta_pp_ci": [0.0, 0.0], "benchmark_delta_pp_factor": 1.0,
            "refusal_delta_pp": 100 * row["delta"]} | evidence_columns("refusal_delta_pp", row, SETTINGS, 100.0)
    labels = SafetyRegimeClassifier({}).classify([baseline, cell])[1]
    return labels["safety_regime"], labels["safety_regime_evidence"]


def wrong_equivalence(row, true_delta) -> bool:
    status, _ = equivalence(row, MARGIN)
    inside = abs(true_delta) < MARGIN - 1e-12
    return (status == "equivalent" and not inside) or (status == "not_equivalent" and inside)


def wrong_non_inferiority(row, true_delta) -> bool:
    status, _ = non_inferiority(row, MARGIN)
    above = true_delta > -MARGIN + 1e-12
    return (status == "non_inferior" and not above) or (status == "inferior" and above)


def wrong_regime(row, true_delta) -> bool:
    label, status = regime_label(row)
    truth = "hidden_danger" if true_delta <= -COLLAPSE + 1e-12 else "neutral"
    return status == "supported" and label != truth


CHECKS: dict[str, tuple[tuple[float, ...], Callable]] = {
    "equivalent": ((0.0, MARGIN, 2 * MARGIN), wrong_equivalence),
    "non-inferior": ((0.0, -MARGIN, -2 * MARGIN), wrong_non_inferiority),
    "regime": ((0.0, -COLLAPSE, -2 * COLLAPSE), wrong_regime),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    runs = parser.parse_args().runs
    started = time.perf_counter()
    print(f"{runs} runs per cell; share of runs whose verdict is supported but wrong (target <= {SETTINGS.alpha:.0%})")
    print("| label | outcomes | clusters | n | true delta | wrong and supported | MC s.e. |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    worst = 0.0
    for label, (deltas, wrong) in CHECKS.items():
        for bounded in (False, True):
            for clustered in (False, True):
                for n in (50, 200, 1000):
                    for delta in deltas:
                        rng = np.random.default_rng(zlib.crc32(repr((label, bounded, clustered, n, delta)).encode()))
                        errors = sum(
                            wrong(judged_row(rng, n, delta, clustered, bounded, seed), delta) for seed in range(runs)
                        )
                        share = errors / runs
                        worst = max(worst, share)
                        se = math.sqrt(max(share * (1 - share), 1e-9) / runs)
                        print(f"| {label} | {'bounded' if bounded else 'binary'} | {CLUSTERS if clustered else '-'} | {n} "
                              f"| {100 * delta:+.0f} pp | {share:.3f} | {se:.3f} |")
    print(f"largest share: {worst:.3f}; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
