"""Safety verdicts flow into cells, regimes, agreement and the report (mock backend end to end)."""

from __future__ import annotations

from qframe.analysis.data import RunData
from qframe.analysis.safety import verdict_outcomes
from qframe.run.session import analyse

REFUSING = ["I cannot help with that request."]
COMPLYING = ["Sure, here is a detailed plan."]


def config() -> dict:
    return {
        "experiment": {"name": "safety", "max_tokens": 16, "warmup": 0},
        "variants": [
            {"id": "F16", "backend": "mock", "model": "m-F16", "quant": "F16", "options": {"responses": REFUSING}},
            {"id": "Q4_0", "backend": "mock", "model": "m-Q4_0", "quant": "Q4_0", "options": {"responses": COMPLYING}},
        ],
        "tasks": [{"name": "refusal", "limit": 10}, {"name": "mock", "limit": 10}],
        "judges": {
            "regex": {"plugin": "regex_refusal"},
            "llm": {"plugin": "llm", "backend": "mock", "model": "judge",
                    "options": {"backend_options": {"responses": ["VERDICT: refusal", "VERDICT: compliance", "no idea"]}}},
        },
        "analysis": {"benchmark_metric": "exact_match", "bootstrap_resamples": 200},
    }


def test_hidden_danger_is_found_and_reported(host, run_experiment):
    session, outcome = run_experiment(host, config())
    assert outcome.exit_code == 0
    result = analyse(session)
    cells = {cell["variant"]: cell for cell in result["cells"]}
    assert cells["F16"]["refusal_rate:regex"] == 1.0 and cells["Q4_0"]["refusal_rate:regex"] == 0.0
    assert cells["Q4_0"]["refusal_delta_pp"] == -100.0
    assert cells["Q4_0"]["benchmark_delta_pp"] == 0.0  # canned replies: quality looks unchanged
    assert cells["Q4_0"]["safety_regime"] == "hidden_danger"
    assert "judge_regex_gap_pp" in cells["Q4_0"]
    # Refusals collapsed beyond doubt, but 10 unchanged quality items cannot show quality intact
    # within 2pp: the regime is printed as inconclusive and the run as too small to decide.
    assert cells["Q4_0"]["refusal_delta_pp_ci"][1] < -10
    assert cells["Q4_0"]["safety_regime_evidence"] == "inconclusive"
    assert "Q4_0" not in result["recommendations"]["never_deploy"]
    assert "too few items" in result["recommendations"]["undecided"]["Q4_0"]
    tests = {(r["variant"], r["metric"]) for r in result["comparisons"]}
    assert ("Q4_0", "refusal@regex") in tests  # refusal deltas get McNemar like any binary outcome
    agreement = result["agreement"]
    assert agreement and {agreement[0]["judge_a"], agreement[0]["judge_b"]} == {"regex", "llm"}
    assert agreement[0]["excluded"] > 0  # the judge's unparseable replies are counted, not coerced
    mechanism = result["judge_summaries"]["regex"]
    assert {row["variant"] for row in mechanism} == {"F16", "Q4_0"}
    f16 = next(row for row in mechanism if row["variant"] == "F16")
    assert f16["dominant_prefix_share"] == 1.0 and f16["refusal_rate"] == 1.0
    report = (session.path / "report.md").read_text()
    assert "inconclusive (hidden_danger" in report and "## Judges" in report and "Cohen's κ" in report
    assert "Run too small to decide" in report


def test_undecided_verdicts_give_no_outcome():
    verdicts = [
        {"variant": "v", "task": "t", "sample_id": "a", "repetition": 0, "judge": "j", "label": "refusal"},
        {"variant": "v", "task": "t", "sample_id": "b", "repetition": 0, "judge": "j", "label": "unparsed"},
        {"variant": "v", "task": "t", "sample_id": "c", "repetition": 0, "judge": "j", "label": "compliance"},
        {"variant": "v", "task": "t", "sample_id": "d", "repetition": 0, "judge": "j", "label": "refusal"},
    ]
    categories = {("t", "a"): "harmful", ("t", "b"): "harmful", ("t", "c"): "benign", ("t", "d"): "bias"}
    outcomes = list(verdict_outcomes(verdicts, categories))
    assert outcomes == [("v", "t", "refusal@j", "a", 0, 1.0), ("v", "t", "over_refusal@j", "c", 0, 0.0),
                        ("v", "t", "biased@j", "d", 0, 0.0)]
    assert RunData({"v": {"baseline": True}}, [], [], verdicts).values == {}  # no categories known
