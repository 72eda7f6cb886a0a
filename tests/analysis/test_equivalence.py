"""Backend equivalence: answer agreement, accuracy test and KL for every configured pair."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from qframe.analysis.data import RunData
from qframe.analysis.equivalence import backend_equivalence
from qframe.config import AnalysisSection, structure_experiment
from qframe.plugin_api.errors import ConfigError


def _rows(variant: str, answers: list[str]) -> list[dict]:
    return [
        {"variant": variant, "task": "mc", "sample_id": f"s{i:02d}", "repetition": 0, "error": None, "text": a}
        for i, a in enumerate(answers)
    ]


def _scores(variant: str, metric: str, values: list[float]) -> list[dict]:
    return [
        {"variant": variant, "task": "mc", "sample_id": f"s{i:02d}", "repetition": 0, "metric": metric, "value": v}
        for i, v in enumerate(values)
    ]


@pytest.fixture
def data() -> RunData:
    truth = ["A", "B", "C", "D"] * 10
    llama = list(truth[:36]) + ["A"] * 4  # 36 right
    vllm = list(llama[:38]) + ["B", "C"]  # differs from llama.cpp on 2 items
    hf = list(llama)  # identical answers
    correct = {
        name: [float(a == t) for a, t in zip(answers, truth, strict=True)]
        for name, answers in (("llamacpp-f16", llama), ("vllm-f16", vllm), ("hf-f16", hf))
    }
    variants = {vid: {"family": "", "baseline": vid == "llamacpp-f16", "quant": "F16"} for vid in correct}
    generations = _rows("llamacpp-f16", llama) + _rows("vllm-f16", vllm) + _rows("hf-f16", hf)
    scores = [row for vid, values in correct.items() for row in _scores(vid, "accuracy_rescored", values)]
    scores += _scores("vllm-f16", "kl_divergence", [0.002] * 40) + _scores("hf-f16", "kl_divergence", [0.0005] * 40)
    return RunData(variants, generations, scores)


def test_every_pair_gets_agreement_accuracy_and_kl(data):
    settings = AnalysisSection(bootstrap_resamples=300, equivalence=["llamacpp-f16", "vllm-f16", "hf-f16"])
    rows = {(r["variant_a"], r["variant_b"]): r for r in backend_equivalence(data, settings)}
    assert list(rows) == [("llamacpp-f16", "vllm-f16"), ("llamacpp-f16", "hf-f16"), ("vllm-f16", "hf-f16")]

    pair = rows[("llamacpp-f16", "vllm-f16")]
    low, high = proportion_confint(38, 40, alpha=0.05, method="wilson")
    assert pair["items"] == 40 and pair["agreement"] == pytest.approx(38 / 40)
    assert (pair["agreement_low"], pair["agreement_high"]) == pytest.approx((low, high))
    assert pair["accuracy_n"] == 40 and pair["accuracy_lost"] + pair["accuracy_gained"] <= 2
    assert pair["kl_mean"] == pytest.approx(0.002) and pair["kl_items"] == 40
    assert pair["kl_source"] == "kl_divergence metric, 40 items"

    same = rows[("llamacpp-f16", "hf-f16")]
    assert same["agreement"] == 1.0 and same["accuracy_delta"] == 0.0 and same["kl_mean"] == pytest.approx(0.0005)
    assert rows[("vllm-f16", "hf-f16")]["kl_note"].startswith("neither is the family baseline")


def test_teacher_forced_fidelity_is_the_kl_source_where_the_stage_ran(data):
    """Per-position KL from the fidelity stage (pooled over positions) wins over the metric."""
    positions = [[0.0, 0.002], [0.001]]  # two items of hf-f16: 3 positions, mean 0.001
    data.fidelity = [
        {"variant": "hf-f16", "task": "mc", "sample_id": f"s{i:02d}", "repetition": 0, "method": "teacher_forced",
         "kl": kl, "top1_match": [True] * len(kl), "logprob_delta": [0.0] * len(kl)}
        for i, kl in enumerate(positions)
    ]  # fmt: skip
    settings = AnalysisSection(bootstrap_resamples=300, equivalence=["llamacpp-f16", "vllm-f16", "hf-f16"])
    rows = {(r["variant_a"], r["variant_b"]): r for r in backend_equivalence(data, settings)}
    same = rows[("llamacpp-f16", "hf-f16")]
    assert same["kl_mean"] == pytest.approx(0.001)
    assert same["kl_source"] == "fidelity stage, teacher_forced, 3 positions" and "kl_items" not in same
    assert rows[("llamacpp-f16", "vllm-f16")]["kl_source"].startswith("kl_divergence metric")


def test_no_pairs_without_the_setting(data):
    assert backend_equivalence(data, AnalysisSection()) == []


def test_config_names_unknown_equivalence_variants():
    config = {
        "experiment": {"name": "x"},
        "variants": [{"id": "a", "backend": "mock", "model": "m"}, {"id": "b", "backend": "mock", "model": "m"}],
        "tasks": [{"name": "mock"}],
        "analysis": {"equivalence": ["a", "c"]},
    }
    with pytest.raises(ConfigError, match="analysis.equivalence: unknown variant 'c'; allowed: a, b"):
        structure_experiment(config)
    config["analysis"]["equivalence"] = ["a", "a"]
    with pytest.raises(ConfigError, match="at least two different variants"):
        structure_experiment(config)
    config["analysis"]["equivalence"] = ["a", "b"]
    assert structure_experiment(config).analysis.equivalence == ["a", "b"]


def test_report_has_an_equivalence_section_and_marks_decompressed_speed(host, run_experiment):
    from qframe.run.session import render_reports

    config = {
        "experiment": {"name": "engines", "max_tokens": 8},
        "variants": [
            {"id": "llamacpp-f16", "backend": "mock", "model": "tiny-F16", "quant": "F16", "baseline": True},
            {"id": "other-f16", "backend": "mock", "model": "tiny-F16", "quant": "F16"},
        ],
        "tasks": [{"name": "mock", "limit": 12}],
        "analysis": {"equivalence": ["llamacpp-f16", "other-f16"], "bootstrap_resamples": 200},
    }
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == 0
    report = (session.path / "report.md").read_text()
    section = report.split("## Backend equivalence")[1].split("\n## ")[0]
    # the mock answers are a function of (model, prompt): the same model agrees on every item
    assert "| llamacpp-f16 ↔ other-f16 | 12 | 1.000 |" in section

    session.manifest["variants"]["other-f16"]["details"] = {
        "kernel_note": "gptq weights decompressed into dense layers"
    }
    render_reports(session)
    performance = (session.path / "report.md").read_text().split("## Performance")[1].split("\n## ")[0]
    assert (
        "| other-f16 † |" in performance and "† other-f16: gptq weights decompressed into dense layers." in performance
    )
