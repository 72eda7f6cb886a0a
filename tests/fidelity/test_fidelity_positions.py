"""Teacher-forced per-position fidelity: the KL tail bound, top-1 agreement, log-probability change."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qframe.fidelity.positions import compare_teacher_forced
from qframe.fidelity.rows import scores_from_rows
from qframe.plugin_api.protocols import TeacherForcedRequest

VOCAB = 40


def log_softmax_rows(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    logits = rng.normal(scale=scale, size=(n, VOCAB))
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def exact_kl(base: np.ndarray, variant: np.ndarray) -> np.ndarray:
    return np.sum(np.exp(base) * (base - variant), axis=1)


def compare(base: np.ndarray, variant: np.ndarray, tokens: list[int], k: int):
    reference = scores_from_rows(tokens, base, TeacherForcedRequest(prompt="p", tokens=tuple(tokens), top_k=k))
    scored = scores_from_rows(tokens, variant, TeacherForcedRequest(prompt="p", tokens=tuple(tokens), at_ids=reference.top_ids))
    return reference, scored, compare_teacher_forced(
        reference.top_ids, reference.top_logprobs, reference.rest_logprob, reference.token_logprobs,
        scored.at_logprobs, scored.rest_logprob, scored.top1, scored.token_logprobs,
    )


@pytest.fixture
def rows() -> tuple[np.ndarray, np.ndarray, list[int]]:
    rng = np.random.default_rng(7)
    base = log_softmax_rows(rng, 12, 3.0)
    variant = base + rng.normal(scale=0.8, size=base.shape)
    variant = variant - np.log(np.exp(variant).sum(axis=1, keepdims=True))
    return base, variant, [int(t) for t in rng.integers(0, VOCAB, size=12)]


def test_bound_equals_exact_kl_when_k_covers_the_vocabulary(rows) -> None:
    base, variant, tokens = rows
    reference, _, comparison = compare(base, variant, tokens, k=VOCAB)
    assert all(rest == -math.inf for rest in reference.rest_logprob)
    assert comparison.kl == pytest.approx(exact_kl(base, variant).tolist(), rel=1e-12, abs=1e-15)


def test_bound_is_a_lower_bound_that_tightens_with_k(rows) -> None:
    base, variant, tokens = rows
    exact = exact_kl(base, variant)
    errors = []
    for k in (2, 8, 24):
        kl = np.array(compare(base, variant, tokens, k)[2].kl)
        assert np.all(kl <= exact + 1e-12)
        assert np.all(kl >= 0)
        errors.append(float(np.mean(exact - kl)))
    assert errors[0] > errors[1] > errors[2] > 0


def test_tail_masses_are_exact(rows) -> None:
    base, variant, tokens = rows
    reference, scored, _ = compare(base, variant, tokens, k=5)
    for position, ids in enumerate(reference.top_ids):
        outside = np.setdiff1d(np.arange(VOCAB), ids)
        assert reference.rest_logprob[position] == pytest.approx(math.log(np.exp(base[position, outside]).sum()), rel=1e-12)
        assert scored.rest_logprob[position] == pytest.approx(math.log(np.exp(variant[position, outside]).sum()), rel=1e-12)
        assert list(ids) == list(np.argsort(-base[position])[:5])


def test_top1_match_and_logprob_change_per_position(rows) -> None:
    base, variant, tokens = rows
    _, _, comparison = compare(base, variant, tokens, k=4)
    positions = np.arange(len(tokens))
    assert comparison.top1_match == (base.argmax(axis=1) == variant.argmax(axis=1)).tolist()
    assert comparison.logprob_delta == pytest.approx((variant[positions, tokens] - base[positions, tokens]).tolist())
    assert 0 < sum(comparison.top1_match) < len(tokens)  # the data exercises both outcomes


def test_identical_models_have_zero_divergence(rows) -> None:
    base, _, tokens = rows
    _, _, comparison = compare(base, base, tokens, k=3)
    assert comparison.kl == pytest.approx([0.0] * len(tokens), abs=1e-12)
    assert all(comparison.top1_match)


def test_misaligned_inputs_are_rejected(rows) -> None:
    base, variant, tokens = rows
    reference, scored, _ = compare(base, variant, tokens, k=3)
    with pytest.raises(ValueError, match="different positions"):
        compare_teacher_forced(reference.top_ids, reference.top_logprobs, reference.rest_logprob,
                               reference.token_logprobs, scored.at_logprobs[:-1], scored.rest_logprob,
                               scored.top1, scored.token_logprobs)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        scores_from_rows(tokens[:1], base[:1], TeacherForcedRequest(prompt="p", tokens=(tokens[0],), at_ids=((VOCAB,),)))


def test_request_asks_for_one_continuation_and_one_answer_shape() -> None:
    with pytest.raises(ValueError, match="exactly one of text and tokens"):
        TeacherForcedRequest(prompt="p", top_k=2)
    with pytest.raises(ValueError, match="exactly one of top_k"):
        TeacherForcedRequest(prompt="p", text="a", top_k=2, at_ids=((1,),))
