"""``teacher_force`` on the transformers backend: the token rule of loglikelihood, the token-id
path, the end token, and the fidelity stage with a llama.cpp baseline on the same weights."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from qframe.plugin_api.errors import BackendError
from qframe.plugin_api.protocols import BackendSpec, TeacherForcedRequest
from qframe_transformers.backend import TransformersBackend

PROMPT = "The capital of France is"


def _open(model: Path) -> TransformersBackend:
    return TransformersBackend(BackendSpec("transformers", str(model), "", 7, {"n_threads": 1}))


async def _scores(model: Path, *requests: TeacherForcedRequest, context_scores: tuple[str, str] | None = None):
    backend = _open(model)
    await backend.open()
    try:
        results = [await backend.teacher_force(request) for request in requests]
        if context_scores:
            results.append(await backend.loglikelihood(context_scores[0], [context_scores[1]]))
        return results
    finally:
        await backend.close()


def test_text_continuation_scores_sum_to_its_loglikelihood(tiny_hf):
    """chat = false: the prompt is the context as loglikelihood reads it, so the sums agree."""
    request = TeacherForcedRequest(prompt=PROMPT, chat=False, text=" Paris and Rome", top_k=4)
    scores, (loglikelihood,) = asyncio.run(_scores(tiny_hf, request, context_scores=(PROMPT, " Paris and Rome")))
    assert len(scores.tokens) == len(scores.token_logprobs) == len(scores.top_ids) >= 2
    assert sum(scores.token_logprobs) == pytest.approx(loglikelihood, abs=1e-4)
    for logprob, top, rest in zip(scores.token_logprobs, scores.top_logprobs, scores.rest_logprob, strict=True):
        assert list(top) == sorted(top, reverse=True) and logprob <= top[0] + 1e-9
        assert np.logaddexp.reduce([*top, rest]) == pytest.approx(0.0, abs=1e-9)  # top-k + rest = all mass


def test_token_ids_score_as_the_text_did_and_the_end_token_comes_last(tiny_hf):
    by_text = TeacherForcedRequest(prompt=PROMPT, text=" Paris", append_end=True, top_k=3)
    (first,) = asyncio.run(_scores(tiny_hf, by_text))
    by_ids = TeacherForcedRequest(prompt=PROMPT, tokens=first.tokens, top_k=3)
    (second,) = asyncio.run(_scores(tiny_hf, by_ids))
    assert second.tokens == first.tokens and second.top_ids == first.top_ids
    np.testing.assert_allclose(second.token_logprobs, first.token_logprobs, atol=1e-6)
    from transformers import AutoTokenizer

    assert first.tokens[-1] == AutoTokenizer.from_pretrained(tiny_hf).eos_token_id


def test_token_ids_outside_the_vocabulary_are_a_backend_error(tiny_hf):
    with pytest.raises(BackendError, match="outside the vocabulary"):
        asyncio.run(_scores(tiny_hf, TeacherForcedRequest(prompt=PROMPT, tokens=(10**6,), top_k=2)))


def test_fidelity_stage_scores_transformers_variants_teacher_forced(host, run_experiment, tiny_hf, tiny_quantized):
    """One family on transformers: the dense baseline, the same folder again (KL 0 up to storage rounding, same
    top-1) and its GPTQ checkpoint, each scoring the baseline's own tokens."""
    gptq, _ = tiny_quantized("gptq")
    variants = [
        {"id": "dense", "model": str(tiny_hf), "baseline": True},
        {"id": "dense-again", "model": str(tiny_hf)},
        {"id": "gptq", "model": str(gptq)},
    ]
    config = {
        "experiment": {"name": "transformers-fidelity", "max_tokens": 6, "warmup": 0, "top_logprobs": 2},
        "variants": [v | {"backend": "transformers", "quant": v["id"], "options": {"n_threads": 1}} for v in variants],
        "tasks": [{"name": "mock", "limit": 3}],
        "reports": ["markdown"],
        "fidelity": {"top_k": 32},
    }
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == 0
    rows = session.store.read("fidelity").to_pylist()
    assert {r["variant"] for r in rows} == {"dense", "dense-again", "gptq"} and all(r["error"] is None for r in rows)
    from qframe.run.session import analyse

    cells = {c["variant"]: c for c in analyse(session)["cells"]}
    assert cells["dense-again"]["fidelity_method"] == "teacher_forced"
    # the baseline's top-k are stored as float16 log-probabilities: about 1e-5 nats of rounding
    assert abs(cells["dense-again"]["kl_mean"]) < 1e-4 and cells["dense-again"]["top1_agreement"] == 1.0
    assert cells["gptq"]["fidelity_method"] == "teacher_forced" and cells["gptq"]["kl_mean"] >= 0
