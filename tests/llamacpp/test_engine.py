"""LlamaEngine on the tiny model: generation, timings, log-likelihood against brute force, scoring."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("llama_cpp")

import llama_cpp
import numpy as np
from qframe_llamacpp.engine import LlamaEngine

CONTEXT = "the cat sat on"
CONTINUATIONS = [" the mat", " a dog", " red", "s", ""]


@pytest.fixture(scope="module")
def model(tiny_variant: Callable[[str], Path]) -> Path:
    return tiny_variant("Q8_0")


@pytest.fixture(scope="module")
def engine(model: Path) -> Iterator[LlamaEngine]:
    with LlamaEngine(model, n_ctx=512, logits_all=True) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def reference(model: Path) -> Iterator[Any]:
    """An independent llama_cpp.Llama keeping the logits of every position."""
    llm = llama_cpp.Llama(str(model), n_ctx=512, logits_all=True, verbose=False)
    yield llm
    llm.close()


def _brute_force(llm: Any, context: str, continuation: str) -> tuple[list[int], Any]:
    """Continuation tokens (joint tokens after the context's) and the log-softmax rows predicting them,
    from one pass over the whole joint sequence."""

    def tokens(text: str) -> list[int]:
        return llm.tokenize(text.encode(), add_bos=True, special=True)

    context_tokens, joint = tokens(context), tokens(context + continuation)
    shared = 0
    while shared < min(len(context_tokens), len(joint)) and context_tokens[shared] == joint[shared]:
        shared += 1
    llm.reset()
    llm.eval(joint)
    logits = np.array(llm.scores[: len(joint)], dtype=np.float64)
    logprobs = logits - logits.max(axis=1, keepdims=True)
    logprobs -= np.log(np.exp(logprobs).sum(axis=1, keepdims=True))
    return joint[shared:], logprobs[shared - 1 : len(joint) - 1]


def _brute_force_loglikelihood(llm: Any, context: str, continuation: str) -> float:
    scored, rows = _brute_force(llm, context, continuation)
    return float(sum(row[token] for row, token in zip(rows, scored, strict=True)))


def test_generation_is_deterministic_and_timed(engine: LlamaEngine) -> None:
    first = engine.generate("hello world", max_tokens=6, top_logprobs=3)
    second = engine.generate("hello world", max_tokens=6, top_logprobs=3)
    assert first.text == second.text
    assert first.top_logprobs == second.top_logprobs
    assert first.n_prompt_eval == first.prompt_tokens == second.n_prompt_eval
    assert first.prompt_eval_ms > 0 and first.eval_ms > 0 and first.n_eval >= 1
    assert first.decode_tokens_per_s == pytest.approx(first.n_eval / first.eval_ms * 1000)
    assert first.ttft_ms == first.prompt_eval_ms
    assert first.finish_reason == "length"


def test_top_logprobs_are_ranked_per_generated_token(engine: LlamaEngine) -> None:
    generation = engine.generate("hello world", max_tokens=6, top_logprobs=3)
    assert generation.top_logprobs
    for ranked in generation.top_logprobs:
        values = list(ranked.values())
        assert 1 <= len(values) <= 3
        assert values == sorted(values, reverse=True)
        assert all(value <= 0 for value in values)


def test_chat_uses_the_gguf_chat_template(engine: LlamaEngine, reference: Any) -> None:
    rendered = reference.tokenize(b"user: hello\nassistant:", add_bos=True, special=True)
    by_string = engine.generate("hello", max_tokens=3)
    by_messages = engine.generate([{"role": "user", "content": "hello"}], max_tokens=3)
    assert by_string.prompt_tokens == by_messages.prompt_tokens == len(rendered)
    assert by_string.text == by_messages.text


def test_plain_completion(engine: LlamaEngine, reference: Any) -> None:
    generation = engine.generate("the cat", max_tokens=4, chat=False, top_logprobs=2)
    assert generation.prompt_tokens == len(reference.tokenize(b"the cat"))
    assert generation.top_logprobs and all(len(ranked) <= 2 for ranked in generation.top_logprobs)
    with pytest.raises(TypeError, match="chat=False"):
        engine.generate([{"role": "user", "content": "hi"}], max_tokens=2, chat=False)


def test_top_logprobs_need_logits_all(model: Path) -> None:
    with LlamaEngine(model, n_ctx=256) as plain:
        assert plain.generate("hello", max_tokens=2).completion_tokens >= 2
        with pytest.raises(ValueError, match="logits_all=True"):
            plain.generate("hello", max_tokens=2, top_logprobs=2)


def test_loglikelihood_matches_brute_force(engine: LlamaEngine, reference: Any) -> None:
    expected = [_brute_force_loglikelihood(reference, CONTEXT, c) for c in CONTINUATIONS]
    assert engine.loglikelihood(CONTEXT, CONTINUATIONS) == pytest.approx(expected, rel=1e-5, abs=1e-5)
    assert expected[-1] == 0.0


def test_leading_space_belongs_to_the_continuation_token(reference: Any) -> None:
    scored, _ = _brute_force(reference, CONTEXT, " the mat")
    assert [reference.detokenize([token]) for token in scored] == [b" the", b" mat"]


def test_boundary_merge_scores_the_merged_token(engine: LlamaEngine, reference: Any) -> None:
    context, continuation = "the ca", "t sat"
    context_tokens = reference.tokenize(context.encode())
    scored, _ = _brute_force(reference, context, continuation)
    assert reference.detokenize(scored) == b" cat sat" and len(context_tokens) == 3
    [value] = engine.loglikelihood(context, [continuation])
    assert value == pytest.approx(_brute_force_loglikelihood(reference, context, continuation), rel=1e-5)


def test_grouping_does_not_change_scores(engine: LlamaEngine) -> None:
    together = engine.loglikelihood(CONTEXT, CONTINUATIONS)
    separately = [engine.loglikelihood(CONTEXT, [c])[0] for c in CONTINUATIONS]
    reversed_order = engine.loglikelihood(CONTEXT, CONTINUATIONS[::-1])[::-1]
    assert together == separately == reversed_order


def test_generation_between_scoring_calls_does_not_leak(engine: LlamaEngine) -> None:
    before = engine.loglikelihood(CONTEXT, CONTINUATIONS)
    engine.generate("a long unrelated prompt about the red dog", max_tokens=5)
    assert engine.loglikelihood(CONTEXT, CONTINUATIONS) == before


def test_empty_context_is_conditioned_on_bos(engine: LlamaEngine, reference: Any) -> None:
    [value] = engine.loglikelihood("", [" the cat"])
    assert value == pytest.approx(_brute_force_loglikelihood(reference, "", " the cat"), rel=1e-5)


def test_sequence_longer_than_the_context_window(engine: LlamaEngine) -> None:
    with pytest.raises(ValueError, match="n_ctx is 512"):
        engine.loglikelihood(CONTEXT, [" the mat" * 300])


def test_score_sequence_gives_teacher_forced_top_k(engine: LlamaEngine, reference: Any) -> None:
    scored, rows = _brute_force(reference, CONTEXT, " the mat sat")
    ranked = engine.score_sequence(CONTEXT, " the mat sat", top_k=4)
    assert len(ranked) == len(scored) == 3
    for positions, row in zip(ranked, rows, strict=True):
        best = np.argsort(-row)[:4]
        expected = {reference.detokenize([int(t)]).decode("utf-8", errors="ignore"): row[t] for t in best[::-1]}
        ranked_expected = sorted(expected.items(), key=lambda item: item[1], reverse=True)[: len(positions)]
        assert list(positions) == [token for token, _ in ranked_expected]
        assert list(positions.values()) == pytest.approx([value for _, value in ranked_expected], abs=1e-5)


def test_engine_version() -> None:
    version = LlamaEngine.engine_version()
    assert version["llama_cpp_python"] == llama_cpp.__version__
    assert "CPU" in version["system_info"]


def test_sampling_is_seeded(engine: LlamaEngine) -> None:
    first = engine.generate("hello world", max_tokens=8, temperature=0.9)
    second = engine.generate("hello world", max_tokens=8, temperature=0.9)
    assert first.text == second.text


def test_top_logprobs_equal_llama_cpp_pythons_own(engine: LlamaEngine, reference: Any) -> None:
    """The logits read back after generation give llama-cpp-python's own top-k log-probabilities."""
    from qframe_llamacpp.engine import SAMPLING_OPTIONS

    ours = engine.generate("the cat", max_tokens=5, chat=False, top_logprobs=3)
    reference.reset()
    theirs = reference.create_completion("the cat", max_tokens=5, temperature=0.0, logprobs=3, **SAMPLING_OPTIONS)
    expected = theirs["choices"][0]["logprobs"]["top_logprobs"]
    assert ours.text == theirs["choices"][0]["text"]
    assert len(ours.top_logprobs) == len(expected)
    for mine, reference_position in zip(ours.top_logprobs, expected, strict=True):
        best = max(reference_position.values())
        assert max(mine.values()) == pytest.approx(best, abs=1e-4)
        for token, logprob in mine.items():
            if token in reference_position:
                assert logprob == pytest.approx(reference_position[token], abs=1e-4)
