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
