"""Reference-based truthfulness rates per variant, beside the judge's verdicts, in the analysis and report."""

from __future__ import annotations

import pytest

from qframe.analysis.data import RunData
from qframe.analysis.pipeline import analyse as analyse_data
from qframe.analysis.stats import cohen_kappa
from qframe.config import AnalysisSection
from qframe.run.session import analyse

BASE = [1, 1, 1, 0, 1, 0, 1, 1]
QUANT = [1, 0, 0, 0, 1, 0, 0, 1]
JUDGE_BASE = [1, 1, 0, 0, 1, 0, 1, 1]
JUDGE_QUANT = [1, 0, 0, 1, 1, 0, 0, 0]
LABEL = {1: "truthful", 0: "untruthful"}


def run_data() -> RunData:
    variants = {"F16": {"baseline": True, "quant": "F16"}, "Q4_0": {"baseline": False, "quant": "Q4_0"}}
    generations, scores, verdicts = [], [], []
    for variant, acc, judged in (("F16", BASE, JUDGE_BASE), ("Q4_0", QUANT, JUDGE_QUANT)):
        for index, (value, verdict) in enumerate(zip(acc, judged, strict=True)):
            key = {"variant": variant, "task": "truthfulness", "sample_id": f"s{index}", "repetition": 0}
            generations.append(key | {"category": "truthfulness", "text": "t", "error": None})
            scores.append(key | {"metric": "bleu_acc", "value": float(value)})
            scores.append(key | {"metric": "bleu_diff", "value": 0.25 * value - 0.1})  # not binary: not a rate
            verdicts.append(key | {"judge": "llm", "label": LABEL[verdict]})
        # an item the judge could not read: no judge outcome, still a metric score
        key = {"variant": variant, "task": "truthfulness", "sample_id": "s8", "repetition": 0}
        generations.append(key | {"category": "truthfulness", "text": "t", "error": None})
        scores.append(key | {"metric": "bleu_acc", "value": 1.0})
        verdicts.append(key | {"judge": "llm", "label": "unparsed"})
    return RunData(variants, generations, scores, verdicts, {"llm": "llm"})


def test_rates_deltas_and_the_judge_beside_them():
    settings = AnalysisSection(bootstrap_resamples=200)
    result = analyse_data(run_data(), settings, [])
    rates = {row["variant"]: row for row in result["truthfulness"]["rates"]}
    assert set(rates) == {"F16", "Q4_0"} and {row["metric"] for row in rates.values()} == {"bleu_acc"}
    assert rates["F16"]["n"] == 9 and rates["F16"]["rate"] == pytest.approx(7 / 9)
    assert rates["Q4_0"]["rate"] == pytest.approx(4 / 9)
    test = next(r for r in result["comparisons"] if (r["variant"], r["metric"]) == ("Q4_0", "bleu_acc"))
    assert test["test"].startswith("mcnemar")  # *_acc is a binary outcome like any other
    assert rates["Q4_0"]["delta_pp"] == pytest.approx(100 * test["delta"]) == pytest.approx(-100 / 3)
    assert rates["Q4_0"]["ci_low_pp"] == pytest.approx(100 * test["ci_low"]) and "p_holm" in rates["Q4_0"]
    assert "delta_pp" not in rates["F16"]
    assert rates["Q4_0"]["judge"] == "llm" and rates["Q4_0"]["judge_n"] == 8
    assert rates["Q4_0"]["judge_rate"] == pytest.approx(3 / 8)
    assert rates["Q4_0"]["judge_delta_pp"] == pytest.approx(100 * (3 / 8 - 5 / 8))


def test_agreement_of_the_metric_with_the_judge_pools_every_variant():
    settings = AnalysisSection(bootstrap_resamples=200)
    [row] = analyse_data(run_data(), settings, [])["truthfulness"]["agreement"]
    expected = cohen_kappa([LABEL[v] for v in BASE + QUANT], [LABEL[v] for v in JUDGE_BASE + JUDGE_QUANT], 200)
    assert (row["metric"], row["judge"], row["items"]) == ("bleu_acc", "llm", 16)
    assert row["agreement"] == pytest.approx(expected.agreement) and row["kappa"] == pytest.approx(expected.kappa)
    assert (row["low"], row["high"]) == pytest.approx((expected.low, expected.high))


def test_no_truthfulness_items_no_rows():
    data = RunData({"F16": {"baseline": True}}, [], [])
    assert analyse_data(data, AnalysisSection(), [])["truthfulness"] == {"rates": [], "agreement": []}


def test_the_truthfulness_suite_is_scored_and_reported_without_a_judge_model(host, run_experiment):
    config = {
        "experiment": {"name": "truth", "max_tokens": 16, "warmup": 0},
        "variants": [
            {"id": "F16", "backend": "mock", "model": "m-F16", "quant": "F16",
             "options": {"responses": ["No, it is too narrow to see from that distance."]}},
            {"id": "Q4_0", "backend": "mock", "model": "m-Q4_0", "quant": "Q4_0",
             "options": {"responses": ["Yes, it is the only human-made structure visible from the Moon."]}},
        ],
        "tasks": [{"name": "truthfulness", "limit": 4}],
        "judges": {"regex": {"plugin": "regex_refusal"}},
        "analysis": {"bootstrap_resamples": 200},
    }
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == 0
    metrics = {row["metric"] for row in session.store.read("scores").to_pylist()}
    assert {"bleu_acc", "rouge_l_diff", "embedding_max"} <= metrics
    rates = analyse(session)["truthfulness"]["rates"]
    assert {(row["variant"], row["metric"]) for row in rates} >= {("F16", "embedding_acc"), ("Q4_0", "bleu_acc")}
    assert all("judge" not in row for row in rates)  # the regex judge gives truthfulness items n/a
    report = (session.path / "report.md").read_text()
    safety = report.split("## Safety and regimes")[1].split("\n## ")[0]
    assert "### Truthfulness" in safety and "| embedding_acc |" in safety and "Reference metric" in safety
