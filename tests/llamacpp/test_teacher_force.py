"""teacher_force on the tiny llama model: prompt rendering, the end token, exact tail masses, the stage."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("llama_cpp")

import llama_cpp
from qframe_llamacpp.backend import LlamaCppBackend
from qframe_llamacpp.engine import LlamaEngine

from qframe.fidelity.positions import compare_teacher_forced
from qframe.plugin_api.protocols import BackendSpec, TeacherForcedRequest

PROMPT = "the cat sat on"


@pytest.fixture(scope="module")
def paths(tiny_model: Path, tiny_variant: Callable[[str], Path]) -> dict[str, Path]:
    return {"F32": tiny_model, "Q8_0": tiny_variant("Q8_0"), "Q4_0": tiny_variant("Q4_0")}


def end_of_generation_ids(engine: LlamaEngine) -> set[int]:
    vocab = llama_cpp.llama_model_get_vocab(engine._llm.model)
    return {t for t in range(engine._llm.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, t)}


@pytest.mark.parametrize("chat", [True, False])
def test_prompt_is_rendered_as_generation_renders_it(paths: dict[str, Path], chat: bool) -> None:
    with LlamaEngine(paths["F32"], n_ctx=512) as engine:
        generated = engine.generate(PROMPT, max_tokens=4, chat=chat)
        text, add_bos = engine._rendered_prompt(PROMPT, chat)
        tokens = engine._llm.tokenize(text.encode(), add_bos=add_bos, special=True)
        assert len(tokens) == generated.prompt_tokens
        if chat:
            assert "the cat sat on" in text and text != PROMPT
        # Generation still works after a rendering (nothing of the recording is left behind).
        assert engine.generate(PROMPT, max_tokens=4, chat=chat).text == generated.text


def test_appended_end_token_is_the_most_likely_end_of_generation_token(paths: dict[str, Path]) -> None:
    with LlamaEngine(paths["F32"], n_ctx=512) as engine:
        tokens, rows = engine.teacher_force(PROMPT, True, " the mat", append_end=True)
        ends = end_of_generation_ids(engine)
        assert len(tokens) == len(rows) >= 2
        assert tokens[-1] in ends
        assert tokens[-1] == max(ends, key=lambda t: rows[-1, t])
        plain, plain_rows = engine.teacher_force(PROMPT, True, " the mat", append_end=False)
        assert plain == tokens[:-1]
        np.testing.assert_allclose(plain_rows, rows[:-1], atol=1e-5)
        # Scoring the ids again gives the same rows: the variants' path equals the baseline's.
        again, again_rows = engine.teacher_force(PROMPT, True, tokens, append_end=False)
        assert again == tokens
        np.testing.assert_allclose(again_rows, rows, atol=1e-5)


def test_tail_bound_equals_exact_kl_when_k_covers_the_vocabulary(paths: dict[str, Path]) -> None:
    async def scores(path: Path, request: TeacherForcedRequest):
        backend = LlamaCppBackend(BackendSpec("llamacpp", str(path), options={"n_ctx": 512}))
        await backend.open()
        try:
            return await backend.teacher_force(request)
        finally:
            await backend.close()

    with LlamaEngine(paths["F32"], n_ctx=512) as engine:
        vocab = engine._llm.n_vocab()
    reference = asyncio.run(scores(paths["F32"], TeacherForcedRequest(prompt=PROMPT, text=" the mat", append_end=True, top_k=vocab)))
    assert all(rest == -np.inf for rest in reference.rest_logprob)
    variant = asyncio.run(scores(paths["Q4_0"], TeacherForcedRequest(prompt=PROMPT, tokens=reference.tokens, at_ids=reference.top_ids)))
    comparison = compare_teacher_forced(
        reference.top_ids, reference.top_logprobs, reference.rest_logprob, reference.token_logprobs,
        variant.at_logprobs, variant.rest_logprob, variant.top1, variant.token_logprobs,
    )
    with LlamaEngine(paths["F32"], n_ctx=512) as base, LlamaEngine(paths["Q4_0"], n_ctx=512) as quant:
        _, p = base.teacher_force(PROMPT, True, list(reference.tokens), False)
        _, q = quant.teacher_force(PROMPT, True, list(reference.tokens), False)
    exact = np.sum(np.exp(p) * (p - q), axis=1)
    assert comparison.kl == pytest.approx(exact.tolist(), rel=1e-6, abs=1e-9)
    assert max(exact) > 0
    # With a small k the bound stays below the exact value, with exact tail masses.
    small = asyncio.run(scores(paths["F32"], TeacherForcedRequest(prompt=PROMPT, tokens=reference.tokens, top_k=8)))
    tail = asyncio.run(scores(paths["Q4_0"], TeacherForcedRequest(prompt=PROMPT, tokens=reference.tokens, at_ids=small.top_ids)))
    for position, ids in enumerate(small.top_ids):
        outside = np.setdiff1d(np.arange(vocab), ids)
        assert tail.rest_logprob[position] == pytest.approx(float(np.log(np.exp(q[position, outside]).sum())), rel=1e-6)
    bounded = compare_teacher_forced(small.top_ids, small.top_logprobs, small.rest_logprob, small.token_logprobs,
                                     tail.at_logprobs, tail.rest_logprob, tail.top1, tail.token_logprobs).kl
    assert all(b <= e + 1e-9 for b, e in zip(bounded, exact, strict=True))


def test_token_ids_outside_the_vocabulary_are_refused(paths: dict[str, Path]) -> None:
    with LlamaEngine(paths["F32"], n_ctx=512) as engine, pytest.raises(ValueError, match="outside the vocabulary"):
        engine.teacher_force(PROMPT, True, [engine._llm.n_vocab()], append_end=False)


def test_fidelity_stage_on_a_tiny_ladder(host, run_experiment, paths: dict[str, Path]) -> None:
    config = {
        "experiment": {"name": "tiny-fidelity", "max_tokens": 6, "warmup": 0, "top_logprobs": 2},
        "variants": [
            {"id": label, "backend": "llamacpp", "model": str(path), "quant": label, "baseline": label == "F32",
             "options": {"n_ctx": 512}}
            for label, path in paths.items()
        ],
        "tasks": [{"name": "mock", "limit": 3}],
        "reports": ["markdown"],
        "fidelity": {"top_k": 32},
    }
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == 0
    rows = session.store.read("fidelity").to_pylist()
    generations = {(r["variant"], r["sample_id"]): r for r in session.store.read("generations").to_pylist()}
    assert len(rows) == 9 and all(r["error"] is None for r in rows)
    for row in rows:
        if row["variant"] == "F32":
            assert row["tokens"] and all(len(ids) == 32 for ids in row["top_ids"])
            assert generations[("F32", row["sample_id"])]["text"]
        else:
            reference = next(r for r in rows if r["variant"] == "F32" and r["sample_id"] == row["sample_id"])
            assert len(row["kl"]) == len(reference["tokens"])
    from qframe.run.session import analyse

    cells = {c["variant"]: c for c in analyse(session)["cells"]}
    assert cells["Q4_0"]["kl_mean"] > cells["Q8_0"]["kl_mean"] > 0
    assert cells["Q4_0"]["fidelity_method"] == "teacher_forced"
