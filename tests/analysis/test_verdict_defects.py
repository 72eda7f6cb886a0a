"""Round-2 defects of the verdicts, each through the analysis entry point the report uses."""

from __future__ import annotations

import json

import pytest

from qframe.analysis.cells import build_cells, performance
from qframe.analysis.data import RunData
from qframe.analysis.evidence import equivalence, non_inferiority
from qframe.analysis.gate import gate
from qframe.analysis.pipeline import analyse
from qframe.analysis.recommend import Constraints, recommend
from qframe.analysis.resources import kv_cache_bytes
from qframe.analysis.stats import tango_interval
from qframe.config import AnalysisSection
from qframe.data.model_shape import shape_from_hf_config
from qframe_classifiers.cell_classifiers import CLASSIFIERS, SafetyRegimeClassifier

SETTINGS = AnalysisSection(bootstrap_resamples=1000)


def _variants(*names: str) -> dict:
    return {name: {"family": "", "quant": name, "baseline": index == 0, "parameters": 1e9,
                   "bits_per_weight": 16.0 / (index + 1), "size_bytes": int(2e9 / (index + 1)), "model": name}
            for index, name in enumerate(names)}


def _score(variant, task, sample, metric, value, repetition=0) -> dict:
    return {"variant": variant, "task": task, "sample_id": sample, "repetition": repetition, "metric": metric,
            "value": value}


def _generation(variant, task, sample, **extra) -> dict:
    return {"variant": variant, "task": task, "sample_id": sample, "repetition": 0, "error": None} | extra


def _analysis(data: RunData) -> dict:
    return analyse(data, SETTINGS, [c({}) for c in CLASSIFIERS])


def _row(analysis: dict, variant: str, task: str, metric: str) -> dict:
    return next(r for r in analysis["comparisons"] if (r["variant"], r["task"], r["metric"]) == (variant, task, metric))


# 1 -- equivalence and non-inferiority read one interval, cluster widening included --------------

def test_losses_in_one_cluster_make_neither_equivalence_nor_non_inferiority_certain():
    """20 subjects of 100 items; Q loses 12 items of one subject and gains 12 of another: delta 0,
    the item-level 90% interval is ±0.4 pp (inside 1 pp), the clusters make it wider than 1 pp."""
    scores, generations = [], []
    for i in range(2000):
        subject = f"subject{i // 100}"
        base = 1.0 if i % 2 == 0 else 0.0
        other = base
        if i // 100 == 0 and base == 1.0 and i < 24:
            other = 0.0
        if i // 100 == 1 and base == 0.0 and i < 124:
            other = 1.0
        for variant, value in (("F16", base), ("Q", other)):
            scores.append(_score(variant, "mc", f"s{i}", "accuracy_rescored", value))
            generations.append(_generation(variant, "mc", f"s{i}", group=subject))
    row = _row(_analysis(RunData(_variants("F16", "Q"), generations, scores)), "Q", "mc", "accuracy_rescored")
    assert row["lost"] == row["gained"] == 12 and row["clusters"] == 20
    assert tango_interval(12, 12, 2000, 0.9).high < 0.01  # what the verdict read before
    status, _ = equivalence(row, 0.01)
    assert row["equivalence"] == status == "inconclusive"
    assert non_inferiority(row, 0.01)[0] == "inconclusive"
    assert row["equivalence_ci_low"] < -0.01 and row["decision_level"] == pytest.approx(0.9)


def test_an_equivalent_verdict_always_implies_non_inferiority():
    scores = [_score(v, "mc", f"s{i}", "accuracy_rescored", float(i % 3 != 0)) for v in ("F16", "Q") for i in range(3000)]
    row = _row(_analysis(RunData(_variants("F16", "Q"), [], scores)), "Q", "mc", "accuracy_rescored")
    assert row["equivalence"] == "equivalent" and non_inferiority(row, 0.01)[0] == "non_inferior"


# 2 -- safety suites stay out of the generation quality signal ---------------------------------------

def test_truthfulness_answers_scored_with_rouge_do_not_move_the_generation_delta():
    scores, generations = [], []
    for i in range(20):
        for variant in ("F16", "Q"):
            scores.append(_score(variant, "summaries", f"g{i}", "rouge_l", 0.5))
            scores.append(_score(variant, "truthfulqa", f"t{i}", "rouge_l", 0.6 if variant == "F16" else 0.1))
            generations.append(_generation(variant, "truthfulqa", f"t{i}", category="truthfulness"))
    cells = {c["variant"]: c for c in build_cells(RunData(_variants("F16", "Q"), generations, scores), SETTINGS)}
    assert cells["Q"]["generation_delta_pct"] == pytest.approx(0.0)
    assert cells["Q"]["key_metric_avg"] == pytest.approx(0.5)


# 3 -- jailbreak templates of one request are one unit ------------------------------------------------

def _refusal_run(requests: int, templates: int) -> RunData:
    generations, verdicts = [], []
    for r in range(requests):
        ids = [("refusal", f"req{r}")] + [("jailbreak", f"req{r}-t{t}") for t in range(templates)]
        for variant in ("F16", "Q"):
            for task, sample in ids:
                generations.append(_generation(variant, task, sample, category="harmful", request_id=f"req{r}"))
                verdicts.append({"variant": variant, "task": task, "sample_id": sample, "repetition": 0,
                                 "judge": "regex", "label": "refusal", "detail": None})
    scores = [_score(v, "mc", f"m{i}", "accuracy_rescored", 1.0) for v in ("F16", "Q") for i in range(200)]
    return RunData(_variants("F16", "Q"), generations, scores, verdicts, {"regex": "regex_refusal"})


def test_templates_of_a_request_never_narrow_the_refusal_interval():
    analysis = _analysis(_refusal_run(requests=5, templates=9))
    cell = next(c for c in analysis["cells"] if c["variant"] == "Q")
    low, high = cell["refusal_delta_pp_ci"]
    expected = 100 * tango_interval(0, 0, 5, 0.95).high  # five requests, not 50 items: about ±43 pp
    assert high == pytest.approx(expected, rel=1e-6) and low == pytest.approx(-expected, rel=1e-6)
    assert cell["safety_regime_evidence"] == "inconclusive"
    pooled = next(r for r in analysis["comparisons"] if r["variant"] == "Q" and r["metric"].startswith("refusal"))
    assert pooled["n"] == 5


# 4 -- fractional outcomes (repetitions at T > 0) keep an honest interval ---------------------------

def test_repetitions_that_disagree_once_are_never_more_certain_than_the_binary_interval():
    scores = []
    for i in range(20):
        for repetition in range(3):
            scores.append(_score("F16", "mc", f"s{i}", "accuracy_rescored", 1.0, repetition))
            scores.append(_score("Q", "mc", f"s{i}", "accuracy_rescored", 0.0 if (i, repetition) == (0, 0) else 1.0,
                                 repetition))
    row = _row(_analysis(RunData(_variants("F16", "Q"), [], scores)), "Q", "mc", "accuracy_rescored")
    assert row["kind"] == "bounded" and row["ci_method"] == "bounded_score_t"
    floor = tango_interval(0, 0, 20, 0.95)  # no discordance at all on 20 items: about ±16 pp
    assert row["ci_high"] - row["ci_low"] >= floor.high - floor.low
    assert row["ci_low"] < -0.15 and row["ci_high"] > 0.10  # a percentile bootstrap gave about [-5, 0] pp
    assert row["equivalence"] == "inconclusive"


# 5 -- native tokens/s from decoded tokens, total over total ---------------------------------------

def test_one_token_generations_do_not_inflate_the_native_rate():
    rows = [{"completion_tokens": 33, "eval_tokens": 32, "eval_ms": 1600.0, "wall_ms": 2000.0} for _ in range(9)]
    rows.append({"completion_tokens": 1, "eval_tokens": 0, "eval_ms": 0.01, "wall_ms": 30.0})  # immediate end token
    rows.append({"completion_tokens": 2, "eval_tokens": 1, "eval_ms": 0.05, "wall_ms": 30.0})  # a stray fast step
    perf = performance(rows)
    assert perf["native_tps"] == pytest.approx((9 * 32 + 1) / (9 * 1.6 + 0.00005), rel=1e-6)
    assert perf["native_tps"] < 21 and perf["native_tps_items"] == 10 and perf["native_tps_cv"] > 1


# 6 -- not-hidden-danger tests its own boundary ------------------------------------------------------

def _classified(cell: dict) -> dict:
    baseline = {"variant": "F16", "baseline": True, "baseline_variant": "F16", "family": "", "quant": "F16",
                "refusal_rate": 0.9}
    cells = [baseline, cell]
    for classifier in (SafetyRegimeClassifier({}),):
        for target, labels in zip(cells, classifier.classify(cells), strict=True):
            target.update(labels)
    return {"cells": cells, "comparisons": [], "settings": {"benchmark_metric": "accuracy_rescored"}}


def test_a_refusal_ci_far_from_collapse_passes_not_hidden_danger_though_the_regime_is_undecided():
    cell = {"variant": "Q", "baseline": False, "baseline_variant": "F16", "family": "", "quant": "Q",
            "refusal_rate": 0.92, "benchmark_delta_pp": -4.0, "benchmark_delta_pp_ci": [-7.0, -1.0],
            "benchmark_delta_pp_factor": 50.0, "refusal_delta_pp": 4.0, "refusal_delta_pp_ci": [-2.0, 10.0],
            "refusal_delta_pp_factor": 500.0}
    analysis = _classified(cell)
    assert cell["safety_regime_evidence"] == "inconclusive"  # neutral or over-refusal
    assert cell["hidden_danger"] == "no" and cell["hidden_danger_evidence"] == "supported"
    [check] = gate(analysis, "Q", ["not-hidden-danger"], 1.0).checks
    assert check.outcome == "pass"


def test_items_needed_for_hidden_danger_refer_to_the_collapse_boundary():
    cell = {"variant": "Q", "baseline": False, "baseline_variant": "F16", "family": "", "quant": "Q",
            "refusal_rate": 0.8, "benchmark_delta_pp": 0.0, "benchmark_delta_pp_ci": [-1.0, 1.0],
            "benchmark_delta_pp_factor": 20.0, "refusal_delta_pp": -6.0, "refusal_delta_pp_ci": [-12.0, 0.0],
            "refusal_delta_pp_factor": 1600.0}
    [check] = gate(_classified(cell), "Q", ["not-hidden-danger"], 1.0).checks
    assert check.outcome == "inconclusive"
    assert check.items_needed == pytest.approx(1600 / 4.0**2, abs=1)  # 4 pp from the -10 pp collapse bound


# 7 -- recommend: provisional picks, unknown regimes, indistinguishable variants ------------------

def _cell(variant: str, memory: float, quality: float, ci: list[float] | None, tier_evidence: str = "supported",
          regime: str | None = "neutral", **extra) -> dict:
    cell = {"variant": variant, "family": "", "quant": variant, "baseline": ci is None, "baseline_variant": "F16",
            "memory_estimate_gb": memory, "benchmark_accuracy": quality, "native_tps": 100 / memory,
            "quality_tier": "negligible", "quality_tier_evidence": tier_evidence, "quality_tier_ci": ci,
            "benchmark_delta_pp": None if ci is None else 100 * (quality - 0.70), "benchmark_delta_pp_ci": ci, "safety_regime": regime, "safety_regime_evidence": "supported",
            "hidden_danger": "no" if regime not in (None, "unknown") else regime,
            "hidden_danger_evidence": "supported", "refusal_rate": 0.9}
    return cell | extra


def test_noise_never_decides_between_indistinguishable_variants_the_smaller_is_picked():
    cells = [_cell("F16", 2.0, 0.700, None), _cell("Q8", 1.1, 0.705, [-1.0, 2.0]), _cell("Q4", 0.6, 0.698, [-2.5, 1.5])]
    result = recommend({"cells": cells}, Constraints())
    assert result.best.variant == "Q4" and not result.provisional


def test_an_inconclusive_tier_makes_the_pick_provisional():
    cells = [_cell("F16", 2.0, 0.70, None), _cell("Q4", 0.6, 0.69, [-3.0, 1.0], tier_evidence="inconclusive")]
    result = recommend({"cells": cells}, Constraints(memory_gb=1.0))
    assert result.best.variant == "Q4" and result.provisional and "quality tier" in result.provisional[0]


def test_a_variant_without_refusal_outcomes_is_unknown_never_safe():
    cells = [_cell("F16", 2.0, 0.70, None), _cell("Q4", 0.6, 0.69, [-3.0, 1.0], regime="unknown", refusal_rate=None)]
    result = recommend({"cells": cells}, Constraints(memory_gb=1.0))
    assert result.best is None  # the baseline needs 2 GB, the variant's safety is unknown
    excluded = {a.variant: a for a in result.excluded}
    assert "safety regime unknown" in excluded["Q4"].why_not() and excluded["Q4"].rejected


def test_the_safety_regime_of_a_variant_whose_judge_never_parsed_is_unknown():
    base = {"variant": "F16", "baseline": True, "refusal_rate": 0.9, "benchmark_delta_pp": None}
    blind = {"variant": "Q", "baseline": False, "benchmark_delta_pp": 0.0}
    labels = SafetyRegimeClassifier({}).classify([base, blind])
    assert labels[1]["safety_regime"] == "unknown" and labels[1]["safety_regime_evidence"] == "inconclusive"


# 8 -- the pairwise judge's unit is the item --------------------------------------------------------

def test_pairwise_repetitions_are_one_game_per_item():
    from qframe_judge_llm.summary import pairwise_summaries

    rows = []
    for item in range(20):
        for repetition in range(3):
            label = "win" if item < 12 else "lose"
            rows.append({"judge": "pair", "variant": "Q", "task": "qa", "sample_id": f"s{item}", "repetition": repetition,
                         "label": label, "detail": json.dumps({"position": "A", "baseline": "F16"})})
    [summary] = pairwise_summaries(rows, "pair")
    assert (summary.wins, summary.losses, summary.verdicts) == (12, 8, 60)
    from qframe.analysis.stats import sign_test

    assert summary.sign_p == pytest.approx(sign_test(12, 8))


# 9 -- the KV cache of every backend, with real head sizes -----------------------------------------

def test_kv_cache_uses_kv_heads_and_head_dim_from_hf_configs():
    llama3 = shape_from_hf_config({"num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
                                   "num_key_value_heads": 8, "head_dim": 128})
    gemma = shape_from_hf_config({"text_config": {"num_hidden_layers": 28, "hidden_size": 3072,
                                                  "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 256}})
    plain = shape_from_hf_config({"num_hidden_layers": 30, "hidden_size": 576, "num_attention_heads": 9})
    assert kv_cache_bytes(llama3, 8192, 2) == 32 * 8192 * 8 * (128 + 128) * 2  # 1 GiB for 8k tokens
    assert kv_cache_bytes(gemma, 1024, 2) == 28 * 1024 * 16 * 512 * 2  # head 256, not 3072 / 16 = 192
    assert plain == {"n_layer": 30, "n_embd": 576, "n_head": 9, "n_head_kv": 9, "head_dim": 64}
    gguf_mla = {"n_layer": 4, "n_head": 8, "n_head_kv": 8, "head_dim": 192, "head_dim_v": 128, "n_embd": 1024}
    assert kv_cache_bytes(gguf_mla, 100, 2) == 4 * 100 * 8 * (192 + 128) * 2


def test_a_transformers_variant_reports_the_shape_the_memory_estimate_needs(tmp_path):
    pytest.importorskip("transformers")
    import asyncio

    from qframe.plugin_api.protocols import BackendSpec
    from qframe_transformers.backend import TransformersBackend
    from qframe_transformers.tiny_model import write_tiny_llama

    folder = write_tiny_llama(tmp_path / "tiny")

    async def facts():
        backend = TransformersBackend(BackendSpec("transformers", str(folder), "", 42, {}))
        info = await backend.open()
        await backend.close()
        return info.details

    details = asyncio.run(facts())
    assert {"n_layer", "n_head", "n_head_kv", "head_dim"} <= set(details)
    assert kv_cache_bytes(details, 128, 2) > 0


def test_items_needed_beyond_any_pool_say_the_run_cannot_decide_and_plan_one_margin_away():
    from qframe.analysis.evidence import label_evidence

    cell = {"variant": "Q", "quality_tier": "acceptable", "quality_tier_evidence": "inconclusive",
            "quality_tier_ci": [-6.0, -1.0], "quality_tier_items_needed": 119_573, "items": 200,
            "benchmark_delta_pp_factor": 2500.0, "benchmark_delta_pp_min_factor": 7.85}
    text = label_evidence({"settings": {"equivalence_margin_pp": 1.0}}, cell, "quality_tier").describe()
    assert "the run cannot decide at this effect size (~119573 items needed)" in text
    assert "~2500 items would decide an effect 1 pp from the boundary" in text
    near = cell | {"quality_tier_items_needed": 900}
    assert label_evidence({"settings": {}}, near, "quality_tier").describe().endswith("inconclusive: ~900 items needed)")
