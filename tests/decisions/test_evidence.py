"""Evidence behind labels, read from the keys the analysis sets."""

from __future__ import annotations

import pytest
from qframe.analysis.evidence import (
    INCONCLUSIVE,
    SUPPORTED,
    delta_interval,
    equivalence,
    items_to_decide,
    label_evidence,
    non_inferiority,
    row_ci,
)
from qframe.run.session import analyse, open_session

from tests.decisions.runs import ITEMS, write_run


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    from qframe.plugin_api.plugins import PluginHost

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


def test_cell_keys_are_what_the_evidence_reads(analysis):
    cell = dict(_cell(analysis, "Q4_K_M")) | {
        "quality_tier_evidence": SUPPORTED, "quality_tier_ci": [-4.5, -3.5], "quality_tier_items_needed": None}
    evidence = label_evidence(analysis, cell, "quality_tier")
    assert (evidence.status, evidence.ci, evidence.items_needed) == (SUPPORTED, (-4.5, -3.5), None)


ROW = {"n": 400, "delta": -0.005, "ci_low": -0.013, "ci_high": 0.003, "kind": "binary", "lost": 6, "gained": 4,
       "factor": 2.5, "min_factor": 7.85}


@pytest.mark.parametrize(("margin", "expected"), [(0.02, "equivalent"), (0.01, INCONCLUSIVE)])
def test_equivalence_reads_the_ci_against_the_margin(margin, expected):
    status, needed = equivalence(ROW, margin)
    assert status == expected
    assert (needed is not None) == (expected == INCONCLUSIVE)


def test_equivalence_reads_the_analysis_interval_against_the_asked_margin():
    row = ROW | {"equivalence_ci_low": -0.012, "equivalence_ci_high": 0.002, "tost_p": 0.2}
    assert equivalence(row, 0.01)[0] == INCONCLUSIVE
    assert equivalence(row, 0.03)[0] == "equivalent"
    metric = row | {"kind": "continuous", "equivalence_ci_low": 0.0, "equivalence_ci_high": 0.0}
    assert equivalence(metric, 0.03) == (INCONCLUSIVE, None)  # no margin in a continuous metric's units


def test_non_inferiority_and_clear_failures():
    assert non_inferiority(ROW, 0.02) == ("non_inferior", None)
    status, needed = non_inferiority(ROW, 0.01)
    assert status == INCONCLUSIVE and needed > 400
    worse = ROW | {"delta": -0.04, "ci_low": -0.06, "ci_high": -0.02}
    assert non_inferiority(worse, 0.01) == ("inferior", None)
    assert equivalence(worse, 0.01)[0] == "not_equivalent"


def test_a_row_is_read_by_its_evidence_interval():
    """The analysis' evidence interval (Tango's, spanning the cluster CI) wins over the bootstrap."""
    silent = {"n": 20, "delta": 0.0, "ci_low": 0.0, "ci_high": 0.0, "evidence_low": -0.161, "evidence_high": 0.161}
    assert row_ci(silent) == (-0.161, 0.161)
    assert equivalence(silent, 0.01)[0] == INCONCLUSIVE


def test_delta_intervals_come_from_the_cells(analysis):
    cell = _cell(analysis, "Q2_K")
    assert delta_interval(analysis, "Q2_K", "benchmark_delta_pp") == tuple(cell["benchmark_delta_pp_ci"])
    assert delta_interval(analysis, "nope", "benchmark_delta_pp") is None

def test_items_to_decide_detects_the_distance_at_the_analysis_power():
    assert items_to_decide({"n": 100, "factor": 4.0}, 0.01) == 40_000
    assert items_to_decide({"n": 100, "factor": 1e-4, "min_factor": 7.85}, 0.01) == 785  # at least |d| discordant
    assert items_to_decide({"n": 100, "factor": 1e-8}, 0.01) == 101  # never fewer than the run has
    assert items_to_decide({"n": 100, "factor": 4.0}, 0.0) is None


