"""Each task's declared quality signal: the rule, its use by cells, tiers and gate, and a mock-only run."""

from __future__ import annotations

import json

import pytest

from qframe.analysis.cells import build_cells
from qframe.analysis.data import POOLED, RunData
from qframe.analysis.gate import gate, quality_rows
from qframe.analysis.pipeline import analyse
from qframe.analysis.quality import QUALITY, resolve_signals, signal_record
from qframe.config import AnalysisSection
from qframe.plugin_api.protocols import CONTINUOUS, PROPORTION, QualitySignal
from qframe_classifiers.cell_classifiers import CLASSIFIERS
from tests.analysis.test_pipeline import generation_rows, score_rows, variants

SETTINGS = AnalysisSection(bootstrap_resamples=300)


def test_declared_signal_wins_then_accuracy_then_key_metrics():
    keys = [("mc", "accuracy_rescored"), ("mc", "accuracy_raw"), ("gen", "rouge_l"), ("gen", "bertscore"),
            ("ner", "entity_f1"), ("ner", "rouge_l"), ("refusal", "accuracy_rescored"), ("misc", "output_length")]
    declared = {"ner": signal_record(QualitySignal(("entity_f1",), CONTINUOUS))}
    signals = resolve_signals(declared, keys, frozenset({"refusal"}))
    assert signals == {
        "mc": QualitySignal(("accuracy_rescored",), PROPORTION),
        "gen": QualitySignal(("bertscore", "rouge_l"), CONTINUOUS),  # only the key metrics the run scored
        "ner": QualitySignal(("entity_f1",), CONTINUOUS),
    }  # safety suites and tasks with no quality score stay out


def test_a_named_benchmark_metric_replaces_the_proportions_only():
    scores = [row for task, metric in (("mc", "accuracy_raw"), ("mc", "accuracy_rescored"), ("ner", "entity_f1"),
                                       ("math", "exact_match")) for row in score_rows("F16", task, metric, [1.0])]
    declared = {"ner": signal_record(QualitySignal(("entity_f1",), CONTINUOUS)),
                "math": signal_record(QualitySignal(("exact_match",)))}
    data = RunData(variants(("F16", 16.0, True)), [], scores, quality_declared=declared)
    assert data.quality_pools("accuracy_raw") == {"mc": signal_record(QualitySignal(("accuracy_raw",))),
                                                  "ner": signal_record(QualitySignal(("entity_f1",), CONTINUOUS))}


def test_a_declared_metric_the_run_did_not_score_leaves_the_task_out():
    declared = {"math": signal_record(QualitySignal(("exact_match",)))}
    assert resolve_signals(declared, [("math", "rouge_l")], frozenset()) == {}


@pytest.mark.parametrize(("metrics", "kind"), [((), PROPORTION), (("a", "b"), PROPORTION), (("a",), "ordinal")])
def test_malformed_signals_are_refused(metrics, kind):
    with pytest.raises(ValueError):
        QualitySignal(metrics, kind)


@pytest.fixture
def mixed() -> RunData:
    """A multiple-choice task, an exact-match maths task and an NER task whose F1 falls by half in Q2_K."""
    n = 40
    scores = []
    for variant, correct, f1 in (("F16", 30, 0.8), ("Q8_0", 30, 0.79), ("Q2_K", 12, 0.4)):
        scores += score_rows(variant, "mc", "accuracy_rescored", [1.0] * correct + [0.0] * (n - correct))
        scores += score_rows(variant, "math", "exact_match", [1.0] * correct + [0.0] * (n - correct))
        scores += score_rows(variant, "ner", "entity_f1", [f1] * n)
        scores += score_rows(variant, "ner", "rouge_l", [0.5] * n)  # not NER's signal: must not dilute it
    declared = {"math": signal_record(QualitySignal(("exact_match",))),
                "ner": signal_record(QualitySignal(("entity_f1",), CONTINUOUS))}
    generations = [row for v in ("F16", "Q8_0", "Q2_K") for row in generation_rows(v, n, 30.0)]
    return RunData(variants(("F16", 16.0, True), ("Q8_0", 8.5, False), ("Q2_K", 3.0, False)), generations, scores,
                   quality_declared=declared)


def test_cells_pool_proportions_and_read_the_declared_continuous_score(mixed):
    cells = {c["variant"]: c for c in build_cells(mixed, SETTINGS)}
    assert cells["Q2_K"]["benchmark_items"] == 80  # mc and math, pooled
    assert cells["Q2_K"]["benchmark_delta_pp"] == pytest.approx(-45.0)
    assert cells["F16"]["key_metric_avg"] == pytest.approx(0.8)  # entity F1 alone, not its ROUGE-L
    assert cells["Q2_K"]["generation_delta_pct"] == pytest.approx(-50.0)
    assert cells["Q8_0"]["generation_delta_pct"] == pytest.approx(-1.25)


def test_ner_f1_drives_the_tier_where_it_is_the_only_quality_score():
    n = 60
    scores = []
    for variant, f1 in (("F16", 0.8), ("Q8_0", 0.8), ("Q2_K", 0.4)):
        scores += score_rows(variant, "ner", "entity_f1", [f1 + 0.001 * (i % 5) for i in range(n)])
    data = RunData(variants(("F16", 16.0, True), ("Q8_0", 8.5, False), ("Q2_K", 3.0, False)),
                   [row for v in ("F16", "Q8_0", "Q2_K") for row in generation_rows(v, n, 30.0)], scores,
                   quality_declared={"ner": signal_record(QualitySignal(("entity_f1",), CONTINUOUS))})
    analysis = analyse(data, SETTINGS, [cls({}) for cls in CLASSIFIERS])
    cells = {c["variant"]: c for c in analysis["cells"]}
    assert cells["Q2_K"]["quality_tier"] == "unacceptable"
    assert cells["Q8_0"]["quality_tier"] == "negligible"
    assert analysis["quality_signals"] == {"ner": {"metrics": ["entity_f1"], "kind": CONTINUOUS}}
    assert [(r["task"], r["metric"]) for r in quality_rows(analysis, "Q2_K")] == [("ner", "entity_f1")]
    assert gate(analysis, "Q2_K", ["non-inferior"], 1.0).outcome == "fail"


def test_the_pooled_quality_row_is_what_the_gate_reads(mixed):
    analysis = analyse(mixed, SETTINGS, [cls({}) for cls in CLASSIFIERS])
    rows = quality_rows(analysis, "Q2_K")
    assert [(r["task"], r["metric"], r["n"]) for r in rows] == [(POOLED, QUALITY, 80)]
    assert mixed.from_binary(POOLED, QUALITY)


def test_a_run_of_only_the_mock_task_gets_tier_recommendation_and_gate(cli, write_config, tmp_path):
    config = write_config(f"""
        [experiment]
        name = "mock-only"
        output_dir = "{tmp_path / 'runs'}"
        [ladder]
        backend = "mock"
        model = "tiny-{{quant}}"
        quants = ["F16", "Q8_0", "Q2_K"]
        baseline = "F16"
        [[tasks]]
        name = "mock"
        limit = 120
    """)
    code, _, err = cli("run", str(config), "--run-id", "only-mock")
    assert code == 0, err
    run_dir = tmp_path / "runs" / "only-mock"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["quality_signals"] == {"mock": {"metrics": ["exact_match"], "kind": PROPORTION}}
    report = (run_dir / "report.md").read_text()
    assert "no quality tier" not in report
    assert "mock: exact_match (proportion)" in report
    code, out, _ = cli("gate", str(run_dir), "--candidate", "Q2_K")
    assert code in (0, 1, 4) and "mock/exact_match" in out, out
