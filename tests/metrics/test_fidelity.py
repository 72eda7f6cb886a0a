"""Top-k KL divergence, top-1 agreement and answer flips on distributions with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qframe_metrics_fidelity.flips import AnswerFlips, answer_flips
from qframe.fidelity.topk import mean_kl, top1_agreement, topk_kl

VOCABULARY = [f"tok{index}" for index in range(50)]


def log_dict(probabilities: dict[str, float]) -> dict[str, float]:
    return {token: math.log(p) for token, p in probabilities.items()}


def top_k(distribution: np.ndarray, k: int) -> dict[str, float]:
    """The k most likely tokens of a full distribution over VOCABULARY, as log-probabilities."""
    order = np.argsort(distribution)[::-1][:k]
    return {VOCABULARY[index]: math.log(distribution[index]) for index in order}


def exact_kl(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum(p * np.log(p / q)))


def distribution_pairs() -> list[tuple[np.ndarray, np.ndarray]]:
    """Baseline/variant pairs: independent, peaked, and a small perturbation (quantization-like)."""
    rng = np.random.default_rng(20240611)
    pairs = []
    for concentration in (1.0, 0.1):
        for _ in range(5):
            pairs.append(
                (
                    rng.dirichlet(np.full(len(VOCABULARY), concentration)),
                    rng.dirichlet(np.full(len(VOCABULARY), concentration)),
                )
            )
    for _ in range(5):
        logits = rng.normal(scale=3.0, size=len(VOCABULARY))
        noisy = logits + rng.normal(scale=0.3, size=len(VOCABULARY))
        pairs.append((np.exp(logits) / np.exp(logits).sum(), np.exp(noisy) / np.exp(noisy).sum()))
    return pairs


def test_hand_computed_truncated_kl() -> None:
    base = log_dict({"a": 0.5, "b": 0.3})
    var = log_dict({"a": 0.4, "b": 0.4})
    # Rest masses are 0.2 on both sides, so the rest cell adds nothing.
    expected = 0.5 * math.log(0.5 / 0.4) + 0.3 * math.log(0.3 / 0.4)
    assert topk_kl(base, var) == pytest.approx(expected)


def test_missing_tokens_get_at_most_the_variant_floor() -> None:
    base = log_dict({"a": 0.6, "b": 0.3})
    var = log_dict({"a": 0.5, "c": 0.3})
    # Shared a; missing b with P(M) = 0.3; P(R) = 0.1; C = 0.5. The proportional split
    # 0.5 * 0.3 / 0.4 exceeds the cap min(1 * 0.3, 1 - 0.8) = 0.2, so Q(M) = 0.2, Q(R) = 0.3.
    expected = 0.6 * math.log(0.6 / 0.5) + 0.3 * math.log(0.3 / 0.2) + 0.1 * math.log(0.1 / 0.3)
    assert topk_kl(base, var) == pytest.approx(expected)


def test_missing_tokens_within_the_cap_get_the_proportional_split() -> None:
    base = log_dict({"a": 0.5, "b": 0.1})
    var = log_dict({"a": 0.5, "c": 0.2, "d": 0.15})
    # P(M) = 0.1, P(R) = 0.4, C = 0.5: the split 0.1 / 0.4 is within the cap 0.15 and
    # matches the baseline's proportions, so no divergence can be proven.
    assert topk_kl(base, var) == pytest.approx(0.0, abs=1e-15)


def test_disjoint_lists_still_show_divergence() -> None:
    base = log_dict({"a": 0.9})
    var = log_dict({"b": 0.8})
    # Pooling a into the rest would give 0; the cap min(0.8, 0.2) keeps Q(M) at 0.2.
    expected = 0.9 * math.log(0.9 / 0.2) + 0.1 * math.log(0.1 / 0.8)
    assert topk_kl(base, var) == pytest.approx(expected)


def test_identical_lists_have_zero_divergence() -> None:
    lists = log_dict({"a": 0.7, "b": 0.2, "c": 0.05})
    assert topk_kl(lists, dict(lists)) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(("p", "q"), distribution_pairs())
def test_full_vocabulary_lists_give_the_exact_kl(p: np.ndarray, q: np.ndarray) -> None:
    full = len(VOCABULARY)
    assert topk_kl(top_k(p, full), top_k(q, full)) == pytest.approx(exact_kl(p, q), rel=1e-9)


@pytest.mark.parametrize("k", [1, 3, 10, 25])
@pytest.mark.parametrize(("p", "q"), distribution_pairs())
def test_truncated_kl_stays_within_the_documented_bound(
    p: np.ndarray, q: np.ndarray, k: int
) -> None:
    base, var = top_k(p, k), top_k(q, k)
    shared = [VOCABULARY.index(token) for token in base if token in var]
    in_rest = np.ones(len(VOCABULARY), dtype=bool)
    in_rest[shared] = False
    base_unshared, var_unshared = p[in_rest].sum(), q[in_rest].sum()
    bound = base_unshared * math.log(var_unshared / q[in_rest & (p > 0)].min())
    pooled = exact_kl(p[shared], q[shared]) + base_unshared * math.log(base_unshared / var_unshared)

    estimate = topk_kl(base, var)
    assert estimate >= pooled - 1e-12
    assert -1e-12 <= exact_kl(p, q) - estimate <= bound + 1e-12


def test_complete_lists_that_round_above_one_stay_finite() -> None:
    p = np.array([0.5, 0.3, 0.2])
    q = np.array([0.4, 0.4, 0.2])
    base = {VOCABULARY[i]: math.log(p[i]) + 1e-12 for i in range(3)}
    var = {VOCABULARY[i]: math.log(q[i]) + 1e-12 for i in range(3)}
    assert topk_kl(base, var) == pytest.approx(exact_kl(p, q), rel=1e-9)


def test_variant_without_rest_mass_gives_a_large_finite_divergence() -> None:
    base = log_dict({"a": 0.5})
    var = {"a": 0.0}  # the variant is certain of "a"
    expected = 0.5 * math.log(0.5 / 1.0) + 0.5 * math.log(0.5 / 1e-9)
    assert topk_kl(base, var) == pytest.approx(expected)


def test_mean_kl_averages_positions() -> None:
    positions_base = [log_dict({"a": 0.5, "b": 0.3}), log_dict({"a": 0.9})]
    positions_var = [log_dict({"a": 0.4, "b": 0.4}), log_dict({"a": 0.9})]
    expected = (topk_kl(positions_base[0], positions_var[0]) + 0.0) / 2
    assert mean_kl(positions_base, positions_var) == pytest.approx(expected)


def test_top1_agreement() -> None:
    base = [log_dict({"a": 0.6, "b": 0.3}), log_dict({"x": 0.5, "y": 0.4}), log_dict({"m": 0.9})]
    var = [log_dict({"b": 0.2, "a": 0.7}), log_dict({"y": 0.5, "x": 0.4}), log_dict({"m": 0.8})]
    assert top1_agreement(base, var) == pytest.approx(2 / 3)


def test_top1_ties_go_to_the_first_listed_token() -> None:
    tied = log_dict({"a": 0.4, "b": 0.4})
    assert top1_agreement([tied], [log_dict({"a": 0.9})]) == 1.0
    assert top1_agreement([tied], [log_dict({"b": 0.9})]) == 0.0


@pytest.mark.parametrize("summary", [mean_kl, top1_agreement])
def test_sequences_must_be_aligned_and_non_empty(summary) -> None:
    one = [log_dict({"a": 0.5})]
    with pytest.raises(ValueError, match="positions"):
        summary(one, one + one)
    with pytest.raises(ValueError, match="zero positions"):
        summary([], [])


def test_answer_flips_on_crafted_vectors() -> None:
    baseline = {"q1": True, "q2": True, "q3": False, "q4": False, "q5": True, "only_base": True}
    variant = {"q1": True, "q2": False, "q3": True, "q4": False, "q5": False, "only_var": False}
    assert answer_flips(baseline, variant) == AnswerFlips(
        correct_to_incorrect=2,
        incorrect_to_correct=1,
        net=-1,
        flip_rate=3 / 5,
        n_paired=5,
        n_unpaired=2,
    )


def test_answer_flips_without_shared_ids() -> None:
    flips = answer_flips({"a": True}, {"b": False})
    assert (flips.n_paired, flips.n_unpaired, flips.flip_rate, flips.net) == (0, 2, None, 0)


def test_identical_correctness_has_no_flips() -> None:
    vector = {"a": True, "b": False}
    assert answer_flips(vector, dict(vector)).flip_rate == 0.0
