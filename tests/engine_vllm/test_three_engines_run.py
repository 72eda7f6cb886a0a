"""One ``qframe run`` with SmolLM2's F16 weights on llama.cpp (baseline), transformers and vLLM,
paired on the same items, with the backend-equivalence section turned on and every engine
scoring the baseline's tokens in the fidelity stage."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_same_weights_on_three_engines_agree_in_the_report(host, run_experiment, smollm2_f16, smollm2_hf, vllm_python):
    variants = [
        {"id": "F16", "backend": "llamacpp", "model": str(smollm2_f16), "baseline": True,
         "options": {"n_threads": 2, "n_ctx": 1024}},
        {"id": "F16-transformers", "backend": "transformers", "model": str(smollm2_f16), "options": {"n_threads": 2}},
        {"id": "F16-vllm", "backend": "vllm", "model": str(smollm2_hf),
         "options": {"python": vllm_python, "dtype": "float32", "max_model_len": 1024, "enforce_eager": True}},
    ]  # fmt: skip
    config = {
        "experiment": {"name": "three-engines", "max_tokens": 16, "warmup": 0, "top_logprobs": 5},
        "variants": [variant | {"quant": "F16"} for variant in variants],
        "tasks": [
            {"name": "arc_challenge", "id": "arc", "limit": 12, "options": {"builtin": True, "mode": "loglikelihood"}},
            {"name": "qa", "limit": 3},
        ],
        "metrics": ["accuracy_rescored"],  # the equivalence section's benchmark metric, nothing slower
        "defaults": {"metrics": False},
        "reports": ["markdown"],
        "analysis": {"equivalence": ["F16", "F16-transformers", "F16-vllm"]},
    }
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == 0
    generations = session.store.read("generations").to_pylist()
    assert len(generations) == 3 * 15 and all(row["error"] is None for row in generations)
    from qframe.run.session import analyse

    pairs = {(row["variant_a"], row["variant_b"]): row for row in analyse(session)["equivalence"]}
    assert set(pairs) == {("F16", "F16-transformers"), ("F16", "F16-vllm"), ("F16-transformers", "F16-vllm")}
    for row in pairs.values():
        # The same weights choose the same answers on every multiple-choice item; generated texts
        # may part after a near-tie between two tokens, so agreement is over all 15 items.
        assert row["agreement"] >= 12 / 15 and row["agreement_low"] > 0.4
        # same multiple-choice answers: no accuracy difference, but 12 items cannot show
        # equivalence within the 1 pp margin, so it is not declared
        assert row["accuracy_delta"] == 0 and row["accuracy_ci_low"] < 0 < row["accuracy_ci_high"]
        assert row["accuracy_equivalent"] is False
    for pair in (("F16", "F16-transformers"), ("F16", "F16-vllm")):
        # every engine scored the baseline's own tokens (teacher-forced fidelity stage)
        assert pairs[pair]["kl_source"].startswith("fidelity stage, teacher_forced") and pairs[pair]["kl_mean"] < 1e-3
    assert pairs[("F16-transformers", "F16-vllm")]["kl_note"].startswith("neither is the family baseline")
    variants = session.manifest["variants"]
    assert variants["F16-vllm"]["engine"].startswith("vLLM ") and variants["F16-transformers"]["engine"].startswith(
        "transformers "
    )
    assert "## Backend equivalence" in (session.path / "report.md").read_text()
