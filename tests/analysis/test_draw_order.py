"""The draw order of a run that stops when decided, and what peeking does to fixed-n intervals."""

from __future__ import annotations

import random
from collections import Counter

from qframe.analysis.comparisons import compare_pair
from qframe.analysis.data import DrawOrder
from qframe.analysis.evidence import NON_INFERIOR, non_inferiority
from qframe.config import AnalysisSection
from qframe.analysis.draws import REQUEST, draw_order, draw_positions, draw_unit, stratum_of


def _pool() -> dict:
    units = {}
    for subject, size in (("algebra", 60), ("biology", 30), ("chemistry", 10)):
        for index in range(size):
            unit = ("mmlu", f"{subject}-{index}")
            units[unit] = stratum_of(unit, subject)
    return units


def test_every_prefix_holds_each_stratum_in_its_share():
    units = _pool()
    order = draw_order(units, seed=7)
    assert sorted(order) == sorted(units)
    for prefix in (10, 25, 50, 77):
        counts = Counter(units[unit] for unit in order[:prefix])
        for stratum, share in (("mmlu\x1falgebra", 0.6), ("mmlu\x1fbiology", 0.3), ("mmlu\x1fchemistry", 0.1)):
            assert abs(counts[stratum] - share * prefix) <= 1


def test_the_order_follows_the_seed_and_the_ids_only():
    units = _pool()
    assert draw_order(units, 7) == draw_order(dict(reversed(list(units.items()))), 7)
    assert draw_order(units, 7) != draw_order(units, 8)


def test_a_drawn_prefix_keeps_its_places_given_the_pool_sizes():
    units = _pool()
    order = draw_order(units, 3)
    sizes = Counter(units.values())
    drawn = {unit: units[unit] for unit in order[:40]}
    positions = draw_positions(drawn, 3, sizes)
    assert sorted(drawn, key=positions.__getitem__) == order[:40]


def test_items_of_one_request_are_one_unit():
    assert draw_unit("jailbreak", "jb-1", "req-9") == draw_unit("refusal", "r-9", "req-9") == (REQUEST, "req-9")
    assert draw_unit("mmlu", "m-1", None) == ("mmlu", "m-1")


def _paired_run(rng: random.Random, n: int, delta: float, discordance: float) -> tuple[dict, dict]:
    """0/1 outcomes of two arms: a share ``discordance`` of pairs disagree, their mean difference is ``delta``."""
    base, other = {}, {}
    gained = (discordance + delta) / 2
    for index in range(n):
        u = rng.random()
        if u < gained:
            pair = (0.0, 1.0)
        elif u < discordance:
            pair = (1.0, 0.0)
        else:
            same = float(rng.random() < 0.6)
            pair = (same, same)
        base[f"i{index}"], other[f"i{index}"] = pair
    return base, other


def test_peeking_after_every_block_breaks_fixed_n_intervals_and_not_the_sequence():
    """At a true delta on the margin, claiming non-inferiority is wrong. Looked at after every block
    of 50 pairs and stopped at the first decided look, the fixed-n interval claims it far more often
    than alpha; the pipeline's sequential rows (``order`` given) stay within it."""
    settings = AnalysisSection(equivalence_margin_pp=5.0, bootstrap_resamples=10)
    margin, runs, looks, block = 0.05, 160, 12, 50
    rng = random.Random(20261203)
    wrong = {"fixed": 0, "sequence": 0}
    for _ in range(runs):
        base, other = _paired_run(rng, looks * block, -margin, 0.2)
        keys = list(base)
        rank = {key: index for index, key in enumerate(keys)}  # the order the pairs were drawn in
        for kind in wrong:
            for look in range(1, looks + 1):
                shown = keys[: look * block]
                row = compare_pair({k: base[k] for k in shown}, {k: other[k] for k in shown}, settings,
                                   order=DrawOrder(rank.__getitem__, looks * block) if kind == "sequence" else None)
                verdict, _ = non_inferiority(row, margin)
                if verdict != "inconclusive":
                    wrong[kind] += verdict == NON_INFERIOR
                    break
    assert wrong["fixed"] / runs > 0.10  # peeking at fixed-n intervals: 17% here, well above alpha = 5%
    assert wrong["sequence"] / runs <= 0.05  # 3% here
