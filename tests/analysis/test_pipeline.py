"""The analysis stage on crafted run data with known answers, and at scale."""

from __future__ import annotations

import random

import pytest
from statsmodels.stats.contingency_tables import mcnemar

from qframe.analysis.cells import build_cells, performance
from qframe.analysis.comparisons import adjacent_levels, compare_to_baselines
from qframe.analysis.cross_run import compare_runs
from qframe.analysis.data import POOLED, RunData
from qframe.analysis.decisions import decision_matrix, recommendations
from qframe.analysis.pipeline import analyse
from qframe.analysis.resources import cost_per_million_tokens, kv_cache_bytes, memory_estimate_gb
from qframe.config import AnalysisSection
from qframe_classifiers.cell_classifiers import CLASSIFIERS

SETTINGS = AnalysisSection(bootstrap_resamples=500)
DETAILS = {"n_layer": 30, "n_embd": 576, "n_head": 9, "n_head_kv": 3}


def variants(*specs: tuple[str, float, bool]) -> dict:
    return {
        vid: {"family": "", "quant": vid, "baseline": base, "parameters": 134_515_008, "bits_per_weight": bits,
              "size_bytes": int(134_515_008 * bits / 8), "details": DETAILS, "model": f"m-{vid}"}
        for vid, bits, base in specs
    }


def score_rows(variant: str, task: str, metric: str, values: list[float]) -> list[dict]:
    return [{"variant": variant, "task": task, "sample_id": f"s{i:03d}", "repetition": 0, "metric": metric, "value": v}
            for i, v in enumerate(values)]


def generation_rows(variant: str, n: int, tps: float) -> list[dict]:
    return [{"variant": variant, "task": "mc", "sample_id": f"s{i:03d}", "repetition": 0, "error": None,
             "completion_tokens": 10, "eval_tokens": 10, "eval_ms": 10_000 / tps, "ttft_ms": 20.0 + i, "wall_ms": 10_000 / tps * 1.25,
             "group": f"subject{i % 4}"} for i in range(n)]


@pytest.fixture
def crafted() -> RunData:
    base = [1.0] * 30 + [0.0] * 10          # 75% correct
    q8 = [1.0] * 29 + [0.0, 1.0] + [0.0] * 9  # one lost, one gained: 75%
    q2 = [1.0] * 15 + [0.0] * 25             # 15 lost: 37.5%
    scores = (
        score_rows("F16", "mc", "accuracy_rescored", base) + score_rows("Q8_0", "mc", "accuracy_rescored", q8)
        + score_rows("Q2_K", "mc", "accuracy_rescored", q2)
        + score_rows("F16", "mc", "accuracy_raw", [0.5 * v for v in [0.0] * 40])
        + score_rows("F16", "gen", "rouge_l", [0.5] * 40) + score_rows("Q8_0", "gen", "rouge_l", [0.49] * 40)
        + score_rows("Q2_K", "gen", "rouge_l", [0.30] * 40)
        + score_rows("Q8_0", "gen", "kl_divergence", [0.01] * 39 + [1.0])
    )
    generations = generation_rows("F16", 40, 30.0) + generation_rows("Q8_0", 40, 60.0) + generation_rows("Q2_K", 40, 75.0)
    fidelity = [{"variant": "Q8_0", "task": "gen", "sample_id": f"s{i:03d}", "repetition": 0, "method": "teacher_forced",
                 "kl": [kl], "top1_match": [kl < 0.5], "logprob_delta": [-kl]}
                for i, kl in enumerate([0.01] * 39 + [1.0])]
    return RunData(variants(("F16", 16.0, True), ("Q8_0", 8.5, False), ("Q2_K", 4.5, False)), generations, scores,
                   fidelity=fidelity)


def test_cells_hold_paired_deltas_flips_and_fidelity(crafted):
    cells = {c["variant"]: c for c in build_cells(crafted, SETTINGS)}
    assert cells["F16"]["benchmark_accuracy"] == pytest.approx(0.75)
    assert cells["Q2_K"]["benchmark_delta_pp"] == pytest.approx(-37.5)
    assert (cells["Q8_0"]["flips_lost"], cells["Q8_0"]["flips_gained"], cells["Q8_0"]["flips_net"]) == (1, 1, 0)
    assert cells["Q2_K"]["flip_rate"] == pytest.approx(15 / 40)
    assert cells["Q8_0"]["generation_delta_pct"] == pytest.approx(-2.0)
    assert cells["Q2_K"]["generation_delta_pct"] == pytest.approx(-40.0)
    assert cells["Q8_0"]["kl_mean"] == pytest.approx((0.39 + 1.0) / 40)
    assert cells["Q8_0"]["kl_p99"] == pytest.approx(0.01 + (1.0 - 0.01) * 0.61)
    assert cells["Q8_0"]["top1_agreement"] == pytest.approx(39 / 40)
    assert cells["Q8_0"]["logprob_delta_mean"] == pytest.approx(-(0.39 + 1.0) / 40)
    assert cells["Q8_0"]["mean:gen/kl_divergence"] == pytest.approx((0.39 + 1.0) / 40)  # the per-item metric stays
    assert "kl_mean" not in cells["F16"] and "kl_mean" not in cells["Q2_K"]
    assert cells["Q8_0"]["delta:gen/rouge_l"] == pytest.approx(-0.01)
    assert "delta:gen/rouge_l" not in cells["F16"]


def test_performance_native_and_wall_rates():
    rows = generation_rows("F16", 4, 50.0)
    perf = performance(rows)
    assert perf["native_tps"] == pytest.approx(50.0)
    assert perf["wall_tps"] == pytest.approx(40.0)
    assert perf["wall_overhead_pct"] == pytest.approx(25.0)
    assert perf["ttft_ms_median"] == pytest.approx(21.5)
    assert perf["native_tps_cv"] == pytest.approx(0.0, abs=1e-12)


def test_memory_estimate_and_cost_follow_the_stated_formulas():
    kv = kv_cache_bytes(DETAILS, 2048, 2)
    assert kv == 2 * 30 * 2048 * (576 * 3 / 9) * 2
    facts = {"parameters": 1_000_000_000, "bits_per_weight": 4.5, "details": DETAILS}
    total, kv_gb = memory_estimate_gb(facts, SETTINGS)
    assert total == pytest.approx((1e9 * 4.5 / 8 * 1.1 + kv) / 1e9)
    assert kv_gb == pytest.approx(kv / 1e9)
    assert cost_per_million_tokens(100.0, 0.035) == pytest.approx(0.035 / 360000 * 1e6)
    assert memory_estimate_gb({"details": {}}, SETTINGS) == (None, None)


def test_binary_comparison_matches_statsmodels_mcnemar(crafted):
    rows = {(r["variant"], r["task"], r["metric"]): r for r in compare_to_baselines(crafted, SETTINGS)}
    q2 = rows[("Q2_K", "mc", "accuracy_rescored")]
    expected = mcnemar([[15, 15], [0, 10]], exact=True).pvalue
    assert q2["test"] == "mcnemar_exact" and q2["p_value"] == pytest.approx(expected)
    assert (q2["lost"], q2["gained"]) == (15, 0)
    assert q2["delta"] == pytest.approx(-0.375)
    assert q2["ci_low"] < q2["delta"] < q2["ci_high"] < 0
    assert q2["cluster_ci_low"] < q2["delta"] < q2["cluster_ci_high"] and q2["clusters"] == 4
    assert q2["equivalent"] is False and q2["equivalence"] == "not_equivalent" and q2["ci_method"] == "tango_score"
    rouge = rows[("Q2_K", "gen", "rouge_l")]
    assert rouge["kind"] == "continuous" and rouge["test"] == "paired_t"


def test_holm_adjusts_within_each_task_metric_family(crafted):
    rows = [r for r in compare_to_baselines(crafted, SETTINGS) if r["metric"] == "accuracy_rescored"]
    ps = sorted(r["p_value"] for r in rows)
    adjusted = sorted(r["p_holm"] for r in rows)
    assert adjusted[0] == pytest.approx(min(1.0, ps[0] * 2))
    assert adjusted[1] == pytest.approx(max(adjusted[0], ps[1]))


def test_adjacent_levels_follow_bits_per_weight(crafted):
    steps = [(r["baseline"], r["variant"]) for r in adjacent_levels(crafted, SETTINGS)]
    assert steps == [("F16", "Q8_0"), ("Q8_0", "Q2_K")]


def test_classifiers_decisions_and_recommendations(crafted):
    classifiers = [cls({}) for cls in CLASSIFIERS]
    result = analyse(crafted, SETTINGS, classifiers)
    cells = {c["variant"]: c for c in result["cells"]}
    assert cells["F16"]["quality_tier"] == "negligible"
    assert cells["Q8_0"]["quality_tier"] == "negligible"
    assert cells["Q2_K"]["quality_tier"] == "unacceptable"
    assert cells["Q2_K"]["quality_cliff"] is True and cells["Q8_0"]["quality_cliff"] is False
    assert cells["Q8_0"]["safety_regime"] is None  # no refusal suite in this run
    recs = result["recommendations"]
    assert recs["maximum_quality"] in {"F16", "Q8_0"}
    assert recs["fastest_acceptable"] == "Q8_0"
    assert recs["never_deploy"] == {"Q2_K": ["quality tier unacceptable"]}
    assert result["thresholds"]["quality_tier"]["acceptable_benchmark_pp"] == -5.0
    tiers = {(r["tier_gb"], r["variant"]) for r in decision_matrix(result["cells"], [0.15, 1.0])}
    assert (0.15, "Q2_K") in tiers and (0.15, "F16") not in tiers and (1.0, "F16") in tiers


def test_recommendations_skip_hidden_danger():
    cells = [
        {"variant": "a", "quality_tier": "negligible", "safety_regime": "hidden_danger", "benchmark_accuracy": 0.9,
         "native_tps": 100.0, "memory_estimate_gb": 1.0, "cost_per_mtok_usd": 0.1},
        {"variant": "b", "quality_tier": "acceptable", "safety_regime": "neutral", "benchmark_accuracy": 0.8,
         "native_tps": 50.0, "memory_estimate_gb": 2.0, "cost_per_mtok_usd": 0.2},
    ]
    recs = recommendations(cells)
    assert recs["maximum_quality"] == "a"
    assert recs["fastest_acceptable"] == recs["best_quality_per_gb"] == recs["best_quality_per_dollar"] == "b"
    assert "hidden danger" in recs["never_deploy"]["a"][0]


def test_cross_run_comparison_pairs_shared_items(crafted):
    rows = compare_runs(crafted, crafted, SETTINGS, [("F16", "Q2_K")])
    mc = next(r for r in rows if r["metric"] == "accuracy_rescored")
    assert mc["delta"] == pytest.approx(-0.375) and mc["n"] == 40
    with pytest.raises(ValueError, match="'nope'"):
        compare_runs(crafted, crafted, SETTINGS, [("nope", "F16")])


def synthetic_run(n_variants: int, n_items: int, seed: int = 7) -> RunData:
    rng = random.Random(seed)
    specs = [("base", 16.0, True)] + [(f"v{i:02d}", 16.0 - 12 * i / n_variants, False) for i in range(1, n_variants)]
    scores, generations = [], []
    for index, (vid, _, _) in enumerate(specs):
        accuracy = 0.7 - 0.3 * index / n_variants
        scores += score_rows(vid, "mmlu", "accuracy_rescored", [float(rng.random() < accuracy) for _ in range(n_items)])
        generations += generation_rows(vid, n_items, 40.0 + index)
    return RunData(variants(*specs), generations, scores)


def test_full_analysis_on_fifty_thousand_rows_is_deterministic():
    data = synthetic_run(50, 1000)
    assert len(data.scores) == 50_000
    classifiers = [cls({}) for cls in CLASSIFIERS]
    first = analyse(data, SETTINGS, classifiers)
    again = analyse(synthetic_run(50, 1000), SETTINGS, classifiers)
    assert len(first["cells"]) == 50 and len(first["comparisons"]) == 49 and len(first["adjacent"]) == 49
    assert [c.get("quality_tier") for c in first["cells"]] == [c.get("quality_tier") for c in again["cells"]]
    assert [r["ci_low"] for r in first["comparisons"]] == [r["ci_low"] for r in again["comparisons"]]
    assert all(r["p_holm"] >= r["p_value"] for r in first["comparisons"])
    assert first["cells"][-1]["quality_tier"] == "unacceptable"
    assert {r["task"] for r in first["comparisons"]} == {"mmlu"} and POOLED not in {r["task"] for r in first["comparisons"]}


def test_classifier_thresholds_come_from_options_and_bad_options_are_config_errors():
    from qframe.plugin_api.errors import ConfigError

    strict = CLASSIFIERS[0]({"negligible_benchmark_pp": -1.0})
    assert strict.thresholds["negligible_benchmark_pp"] == -1.0
    labels = strict.classify([{"baseline": False, "benchmark_delta_pp": -2.0}])
    assert labels[0]["quality_tier"] == "acceptable" and labels[0]["quality_tier_evidence"] == "inconclusive"
    with pytest.raises(ConfigError, match="classifiers.quality_tier: unknown option 'nope'; allowed: negligible_benchmark_pp"):
        CLASSIFIERS[0]({"nope": 1})
    with pytest.raises(ConfigError, match="classifiers.safety_regime"):
        CLASSIFIERS[1]({"refusal_collapse_pp": "lots"})
