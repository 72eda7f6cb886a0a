"""KL divergence of a variant's next-token distribution from its baseline's, from top-k lists.

Engines return, per generated position, only the k most likely tokens with their natural-log
probabilities, so neither distribution is known in full. ``topk_kl`` therefore computes the KL
divergence of the two distributions coarse-grained onto a partition both lists determine
exactly:

* one cell per *shared* token, a token in the baseline's top-k and in the variant's top-k; its
  probabilities ``p_t`` and ``q_t`` are both known;
* one *rest* cell R holding every other token, with masses ``P(R) = 1 - sum(p_t)`` and
  ``Q(R) = 1 - sum(q_t)`` over the shared tokens, both known as well.

    topk_kl = sum_shared p_t * log(p_t / q_t) + P(R) * log(P(R) / Q(R))        (nats)

A baseline token missing from the variant's list thus joins the rest cell rather than receiving
an invented probability: its true variant probability is only known to lie below the variant's
k-th probability, and any guessed value (the floor, a uniform share of the variant's leftover
mass spread over an unknown vocabulary) could over- or under-state the divergence.

Truncation error bound. Merging cells never increases KL divergence (log-sum inequality), and
the loss is exactly the divergence inside the rest cell:

    KL(P || Q) - topk_kl = P(R) * KL(P(.|R) || Q(.|R))

so that

    0  <=  KL(P || Q) - topk_kl  <=  P(R) * log(Q(R) / q_min)

where ``q_min`` is the smallest variant probability of any token in R to which the baseline gives
positive probability. ``topk_kl`` is therefore never larger than the true divergence; it is exact
when the shared tokens carry all of the baseline's mass (in particular when k is the vocabulary
size), and its error shrinks with the baseline mass ``P(R)`` left outside the shared tokens.

Rounding. A negative rest mass counts as zero, and the variant's rest mass is raised to at least
``VARIANT_REST_FLOOR``: top-k lists that cover the whole distribution can sum to slightly more
than 1 in floating point, and a zero ``Q(R)`` against a positive ``P(R)`` would make the result
infinite. Raising ``Q(R)`` can only lower the result, so it remains a lower bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean

VARIANT_REST_FLOOR = 1e-9
"""Smallest variant rest-cell mass used, so that float rounding cannot make the KL infinite."""

TopLogprobs = Mapping[str, float]
"""One position's top-k list: token -> natural-log probability."""


def topk_kl(base: TopLogprobs, var: TopLogprobs) -> float:
    """KL(baseline || variant) in nats at one position, on the shared-token partition.

    A lower bound on the true divergence, exact when the shared tokens hold all baseline mass.
    """
    import numpy as np

    shared = [token for token in base if token in var]
    base_logprobs = np.array([base[token] for token in shared], dtype=float)
    var_logprobs = np.array([var[token] for token in shared], dtype=float)
    base_probs = np.exp(base_logprobs)
    shared_term = float(np.sum(base_probs * (base_logprobs - var_logprobs)))

    base_rest = max(1.0 - float(base_probs.sum()), 0.0)
    if base_rest == 0.0:
        return shared_term
    var_rest = max(1.0 - float(np.exp(var_logprobs).sum()), VARIANT_REST_FLOOR)
    return shared_term + base_rest * float(np.log(base_rest / var_rest))


def mean_kl(seq_base: Sequence[TopLogprobs], seq_var: Sequence[TopLogprobs]) -> float:
    """Mean per-position ``topk_kl`` over two aligned sequences of top-k lists."""
    _check_aligned(seq_base, seq_var)
    return fmean(topk_kl(base, var) for base, var in zip(seq_base, seq_var))


def top1_agreement(seq_base: Sequence[TopLogprobs], seq_var: Sequence[TopLogprobs]) -> float:
    """Share of positions where both models rank the same token first.

    Ties within a list go to the token listed first.
    """
    _check_aligned(seq_base, seq_var)
    return fmean(
        max(base, key=base.__getitem__) == max(var, key=var.__getitem__)
        for base, var in zip(seq_base, seq_var)
    )


def _check_aligned(seq_base: Sequence[TopLogprobs], seq_var: Sequence[TopLogprobs]) -> None:
    """Reject sequences that are empty or of different lengths (they cannot be paired)."""
    if len(seq_base) != len(seq_var):
        raise ValueError(
            f"baseline has {len(seq_base)} positions but variant has {len(seq_var)}"
        )
    if not seq_base:
        raise ValueError("cannot average over zero positions")
