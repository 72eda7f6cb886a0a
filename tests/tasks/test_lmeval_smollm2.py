"""qframe's per-item numbers on lm-eval tasks equal lm-eval's own evaluator's, on SmolLM2.

The measurement itself is ``bench/lmeval_agreement.py`` (its figures are in
docs/benchmarks.md); this runs it on fewer documents: lm-eval's ``hf`` model against qframe's
``transformers`` backend on the same safetensors folder, and qframe's ``llamacpp`` backend on the
F16 GGUF the folder was written from.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

sys.path.insert(0, str(ROOT / "bench"))
import lmeval_agreement as agreement  # noqa: E402


def test_qframe_per_item_results_equal_lm_evals_own_on_both_engines(smollm2_f16, tmp_path):
    model_folder = agreement.safetensors_folder(smollm2_f16)
    tasks_folder = agreement.write_tasks(tmp_path / "tasks", sums=8, math=4)
    tasks = ["qf_choice", "qf_math"]
    reference = agreement.lm_eval_items(model_folder, tasks_folder, tasks)
    items, _ = agreement.qframe_items(model_folder, smollm2_f16, tasks_folder, tasks, tmp_path / "runs")

    assert len(reference) == 20 + 8 + 4
    for variant, tolerance in (("transformers", 1e-3), ("llamacpp", 0.1)):
        result = agreement.compare(reference, items[variant])
        assert result["items"] == len(reference) and result["unmatched"] == 0, variant
        assert result["metrics_equal"] == result["items"], (variant, result["differing"])
        assert result["max_logprob_gap"] < tolerance, (variant, result["max_logprob_gap"])
        assert result["texts_equal"] == result["text_items"] == 4, variant


def test_a_real_ladder_through_lm_eval_tasks_reports_paired_statistics_and_a_gate_verdict(host, run_experiment, tmp_path, cli):
    from qframe.data.cache import cache_dir
    from qframe_llamacpp.demo import demo_experiment

    tasks_folder = agreement.write_tasks(tmp_path / "tasks", sums=8, math=4)
    config = demo_experiment(cache_dir() / "demo", log=lambda _: None)
    config["ladder"]["quants"] = ["F16", "Q8_0", "Q2_K"]
    config["experiment"] |= {"warmup": 0}
    config.pop("schedule", None)
    config["tasks"] = [{"name": f"lmeval:{task}", "options": {"include_path": str(tasks_folder)}} for task in ("qf_choice", "qf_math")]

    session, outcome = run_experiment(host, config)

    assert outcome.exit_code == 0
    rows = session.store.read("generations").to_pylist()
    assert {row["variant"] for row in rows} == {"F16", "Q8_0", "Q2_K"} and len(rows) == 3 * (20 + 8 + 4)
    assert all(row["error"] is None for row in rows)
    math_rows = [row for row in rows if row["task"] == "lmeval:qf_math"]
    assert all("Question:" not in row["text"] for row in math_rows)  # the task's stop sequence held
    groups = {row["group"] for row in rows if row["task"] == "lmeval:qf_choice"}
    assert groups == {"qf_arc", "qf_sums"}
    report = (session.path / "report.md").read_text()
    assert "lmeval:qf_choice: lmeval:acc (proportion)" in report
    assert "| Q2_K |" in report and "Δ vs baseline (pp)" in report
    code, out, err = cli("gate", str(session.path), "--candidate", "Q8_0")
    assert code in (0, 1, 4), err  # pass, fail or inconclusive on the pooled lm-eval accuracy
    assert "90% CI" in out
