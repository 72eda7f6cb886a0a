"""Evidence behind labels: cell keys when the analysis has them, else derived from the CIs."""

from __future__ import annotations

import pytest
from qframe.analysis.evidence import (
    INCONCLUSIVE,
    SUPPORTED,
    equivalence,
    items_to_decide,
    label_evidence,
    non_inferiority,
    row_ci,
)
from qframe.session import analyse, open_session

from tests.decisions.runs import ITEMS, write_run


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    from qframe.plugins import PluginHost

    host = PluginHost()
    host.load_entry_points()
    path = write_run(tmp_path_factory.mktemp("runs") / "constructed")
    return analyse(open_session(path, host))


def _cell(analysis, variant):
    return next(c for c in analysis["cells"] if c["variant"] == variant)


def test_labels_of_the_constructed_ladder(analysis):
    labels = {c["variant"]: (c.get("quality_tier"), c.get("safety_regime")) for c in analysis["cells"]}
    assert labels["Q8_0"] == ("negligible", "neutral")
    assert labels["Q5_K_M"] == ("negligible", "hidden_danger")
    assert labels["Q4_K_M"][0] == "acceptable"
    assert labels["Q2_K"][0] == "unacceptable"


def test_clear_labels_are_supported_and_borderline_ones_inconclusive(analysis):
    q2 = label_evidence(analysis, _cell(analysis, "Q2_K"), "quality_tier")
    assert q2.status == SUPPORTED and q2.ci[1] < -10  # the whole CI is below the concerning floor
    hidden = label_evidence(analysis, _cell(analysis, "Q5_K_M"), "safety_regime")
    assert hidden.label == "hidden_danger" and hidden.status == SUPPORTED
    q4 = label_evidence(analysis, _cell(analysis, "Q4_K_M"), "quality_tier")
    assert q4.status == INCONCLUSIVE
    assert q4.ci[0] < -5 and q4.ci[1] > -3  # the CI spans three tiers
    assert q4.items_needed is not None and q4.items_needed > ITEMS
    assert "inconclusive" in q4.describe() and "items needed" in q4.describe()
    assert label_evidence(analysis, _cell(analysis, "F16"), "quality_tier").status is None  # baseline


def test_items_needed_decide_the_label_when_the_rates_hold(tmp_path):
    """Scaling the Q4_K_M arm up to the items the evidence asked for makes its tier supported."""
    from qframe.analysis.data import RunData
    from qframe.analysis.label_intervals import delta_intervals
    from qframe.analysis.label_intervals import label_evidence as derive
    from qframe.config import AnalysisSection
    from qframe_classifiers.cell_classifiers import QualityTierClassifier

    settings = AnalysisSection(bootstrap_resamples=2000)
    classifier = QualityTierClassifier({})

    def evidence_at(n_blocks: int):
        base, mine = [], []
        for block in range(n_blocks):  # blocks of 100 items: 80 right; 5 lost, 1 gained (-4 pp)
            base += [1.0] * 80 + [0.0] * 20
            mine += [0.0] * 5 + [1.0] * 75 + [1.0] + [0.0] * 19
        scores = [{"variant": v, "task": "mc", "sample_id": f"s{i}", "repetition": 0, "metric": "accuracy_rescored",
                   "value": x} for v, values in (("F16", base), ("Q4", mine)) for i, x in enumerate(values)]
        variants = {"F16": {"baseline": True, "family": ""}, "Q4": {"baseline": False, "family": ""}}
        from qframe.analysis.pipeline import analyse as analyse_data

        result = analyse_data(RunData(variants, [], scores), settings, [classifier])
        cell = next(c for c in result["cells"] if c["variant"] == "Q4")
        data = RunData(variants, [], scores)
        return derive(classifier, "quality_tier", cell, delta_intervals(data, cell, result["comparisons"], settings))

    small = evidence_at(4)
    assert small["status"] == INCONCLUSIVE and small["items_needed"] > 400
    blocks = -(-small["items_needed"] // 100)
    assert evidence_at(blocks + 2)["status"] == SUPPORTED


def test_cell_keys_from_the_analysis_win_over_derived_values(analysis):
    cell = dict(_cell(analysis, "Q4_K_M")) | {
        "quality_tier_evidence": SUPPORTED, "quality_tier_ci": [-4.5, -3.5], "quality_tier_items_needed": None}
    evidence = label_evidence(analysis, cell, "quality_tier")
    assert (evidence.status, evidence.ci, evidence.items_needed) == (SUPPORTED, (-4.5, -3.5), None)


ROW = {"n": 400, "delta": -0.005, "ci_low": -0.013, "ci_high": 0.003, "kind": "binary", "lost": 6, "gained": 4}


@pytest.mark.parametrize(("margin", "expected"), [(0.02, "equivalent"), (0.01, INCONCLUSIVE)])
def test_equivalence_reads_the_ci_against_the_margin(margin, expected):
    status, needed = equivalence(ROW, margin)
    assert status == expected
    assert (needed is not None) == (expected == INCONCLUSIVE)


def test_equivalence_key_of_the_analysis_wins():
    assert equivalence(ROW | {"equivalence": "not_equivalent"}, 0.02)[0] == "not_equivalent"


def test_non_inferiority_and_clear_failures():
    assert non_inferiority(ROW, 0.02) == ("non_inferior", None)
    status, needed = non_inferiority(ROW, 0.01)
    assert status == INCONCLUSIVE and needed > 400
    worse = ROW | {"delta": -0.04, "ci_low": -0.06, "ci_high": -0.02}
    assert non_inferiority(worse, 0.01) == ("inferior", None)
    assert equivalence(worse, 0.01)[0] == "not_equivalent"


def test_a_ci_without_discordant_pairs_is_never_zero_wide():
    """No flips in 20 items bounds nothing within 1 pp (the bootstrap alone would say [0, 0])."""
    silent = {"n": 20, "delta": 0.0, "ci_low": 0.0, "ci_high": 0.0, "kind": "binary", "lost": 0, "gained": 0}
    assert row_ci(silent) == pytest.approx((-0.15, 0.15))
    assert equivalence(silent, 0.01)[0] == INCONCLUSIVE


def test_items_to_decide_scales_with_the_squared_width():
    assert items_to_decide(100, 0.0, (-0.02, 0.02), 0.01) == 400
    assert items_to_decide(100, 0.0, (-0.02, 0.02), 0.0) is None


def test_a_flip_direction_never_seen_still_widens_its_end_of_the_ci():
    """One gain and no loss in 6 items: the bootstrap says [0, +0.5]; a loss rate near 3/6 is not excluded."""
    one_gain = {"n": 6, "delta": 1 / 6, "ci_low": 0.0, "ci_high": 0.5, "kind": "binary", "lost": 0, "gained": 1}
    low, high = row_ci(one_gain)
    assert low == pytest.approx(1 / 6 - 0.5) and high == 0.5
    assert non_inferiority(one_gain, 0.01)[0] == INCONCLUSIVE


def _generation_evidence(factors):
    from qframe.analysis.data import RunData
    from qframe.analysis.label_intervals import delta_intervals
    from qframe.analysis.label_intervals import label_evidence as derive
    from qframe.analysis.pipeline import analyse as analyse_data
    from qframe.config import AnalysisSection
    from qframe_classifiers.cell_classifiers import QualityTierClassifier

    base = [0.5 + 0.01 * (i % 10) for i in range(len(factors))]
    arms = {"F16": base, "Q4": [b * f for b, f in zip(base, factors, strict=True)]}
    scores = [{"variant": v, "task": "gen", "sample_id": f"s{i}", "repetition": 0, "metric": "rouge_l", "value": x}
              for v, values in arms.items() for i, x in enumerate(values)]
    variants = {"F16": {"baseline": True, "family": ""}, "Q4": {"baseline": False, "family": ""}}
    settings, classifier = AnalysisSection(bootstrap_resamples=2000), QualityTierClassifier({})
    data = RunData(variants, [], scores)
    cell = next(c for c in analyse_data(data, settings, [classifier])["cells"] if c["variant"] == "Q4")
    intervals = delta_intervals(data, cell, [], settings)
    return cell, intervals["generation_delta_pct"], derive(classifier, "quality_tier", cell, intervals)


def test_generation_delta_gets_a_ratio_ci():
    """Every item 10% worse: the CI is the point (-10%: concerning, supported); noisy items: inconclusive."""
    cell, interval, evidence = _generation_evidence([0.9] * 50)
    assert cell["quality_tier"] == "concerning"
    assert interval[0] == pytest.approx(-10.0) and interval[1] == pytest.approx(-10.0) and interval[3] == 50
    assert evidence["status"] == SUPPORTED
    cell, interval, evidence = _generation_evidence([0.8, 1.0] * 25)
    assert interval[1] < -8 < interval[2]  # the CI crosses the acceptable floor (-8%)
    assert cell["quality_tier"] in ("acceptable", "concerning") and evidence["status"] == INCONCLUSIVE
    assert evidence["items_needed"] > 50


def test_widened_cis_stay_within_the_range_of_a_difference_of_proportions():
    silent = {"n": 2, "delta": 0.0, "ci_low": 0.0, "ci_high": 0.0, "kind": "binary", "lost": 0, "gained": 0}
    assert row_ci(silent) == (-1.0, 1.0)
