"""KL divergence of a variant's next-token distribution from its baseline's, from two top-k lists.

This is the ``shared_prefix`` method: engines that return, per generated position, only the k
most probable tokens of each model with their natural-log probabilities, so neither distribution
is known in full. ``topk_kl`` reports the smallest divergence the two lists allow, which makes
it a lower bound on the true one. (The ``teacher_forced`` method of :mod:`qframe.fidelity.positions`
knows the variant's exact masses and is much tighter.)

Method. The vocabulary is split into three kinds of cell:

* one cell per *shared* token t, listed by both models: ``p_t`` and ``q_t`` are known;
* one cell M of the *missing* tokens, listed by the baseline but not by the variant: ``P(M)`` is
  known, ``Q(M)`` is not;
* one *rest* cell R of the tokens the baseline does not list: ``P(R) = 1 - (baseline listed
  mass)`` is known, and ``Q(R) = C - Q(M)`` where ``C = 1 - sum(q_t over shared tokens)``.

What the variant's list does say about ``Q(M)``: each of the m missing tokens ranks below the
variant's k listed tokens, so it has at most the variant's k-th probability ``q_k``, and all of
them together have at most the variant's unlisted mass ``L = 1 - (variant listed mass)``. Hence
``0 < Q(M) <= cap = min(m * q_k, L)``. Then

    topk_kl = sum_shared p_t log(p_t / q_t) + P(M) log(P(M) / Q(M)) + P(R) log(P(R) / Q(R))

in nats, with ``Q(M) = min(cap, C * P(M) / (P(M) + P(R)))``: the cell divergence is convex in
``Q(M)`` and least at the proportional split ``C * P(M) / (P(M) + P(R))``, so this is its minimum
over every ``Q(M)`` the lists permit. No probability is invented for an unlisted token. The cap is
what makes a variant that drops the baseline's likely tokens visible: with the proportional split
alone (equivalently, pooling M into R), two lists with no token in common would score 0.

Truncation error bound. Grouping tokens into cells never increases KL divergence (log-sum
inequality), and minimising over the unknown ``Q(M)`` only lowers it further; yet ``topk_kl`` is
never below the divergence with M and R pooled into one cell U (everything outside the shared
tokens). Hence

    0  <=  KL(P || Q) - topk_kl  <=  P(U) * log(Q(U) / q_min),

where ``P(U) = P(M) + P(R)``, ``Q(U) = C``, and ``q_min`` is the smallest variant probability of any
token in U to which the baseline gives positive probability. ``topk_kl`` is exact when the shared
tokens carry all of the baseline's mass (in particular when k is the vocabulary size), and its
error shrinks with the baseline mass ``P(U)`` outside the shared tokens.

Rounding. A negative leftover mass counts as zero, and a variant cell mass below
``VARIANT_CELL_FLOOR`` is raised to it: lists that cover a whole distribution can sum to slightly
more than 1 in floating point, and a zero variant mass against a positive baseline mass would make
the result infinite. Raising a variant mass only lowers the result, so it remains a lower bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import fmean

VARIANT_CELL_FLOOR = 1e-9
"""Smallest variant mass used for the missing and rest cells, so rounding cannot give infinity."""

TopLogprobs = Mapping[str, float]
"""One position's top-k list: token -> natural-log probability."""


def topk_kl(base: TopLogprobs, var: TopLogprobs) -> float:
    """KL(baseline || variant) in nats at one position: the least divergence the lists allow.

    A lower bound on the true divergence, exact when the shared tokens hold all baseline mass.
    """
    shared = [token for token in base if token in var]
    missing = [token for token in base if token not in var]
    shared_term = math.fsum(
        math.exp(base[token]) * (base[token] - var[token]) for token in shared
    )

    base_missing = math.fsum(math.exp(base[token]) for token in missing)
    base_rest = max(1.0 - math.fsum(math.exp(lp) for lp in base.values()), 0.0)
    base_unshared = base_missing + base_rest
    if base_unshared == 0.0:
        return shared_term

    var_unshared = max(1.0 - math.fsum(math.exp(var[token]) for token in shared), 0.0)
    var_missing = min(
        _missing_mass_cap(var, len(missing)), var_unshared * base_missing / base_unshared
    )
    return (
        shared_term
        + _cell_kl(base_missing, var_missing)
        + _cell_kl(base_rest, var_unshared - var_missing)
    )


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


def comparable_positions(
    base: Sequence[TopLogprobs], variant: Sequence[TopLogprobs]
) -> tuple[list[TopLogprobs], list[TopLogprobs]]:
    """Generated positions two variants share: up to and including the first whose top-1 differ.

    At temperature 0 the generated token is each model's top-1, so the two sequences are
    identical up to that position, which is still conditioned on the same prefix; later
    positions condition on different text and cannot be compared.
    """
    length = min(len(base), len(variant))
    for position in range(length):
        if _top1(base[position]) != _top1(variant[position]):
            length = position + 1
            break
    return list(base[:length]), list(variant[:length])


def _top1(position: TopLogprobs) -> str | None:
    return max(position, key=position.__getitem__) if position else None


def _missing_mass_cap(var: TopLogprobs, n_missing: int) -> float:
    """Most variant mass ``n_missing`` tokens absent from its list can hold together.

    Each is at most the variant's smallest listed probability; together they are at most the
    variant's unlisted mass. An empty list says nothing, and the cap is the whole mass.
    """
    listed = [math.exp(logprob) for logprob in var.values()]
    unlisted = max(1.0 - math.fsum(listed), 0.0)
    return min(n_missing * min(listed, default=1.0), unlisted)


def _cell_kl(base_mass: float, var_mass: float) -> float:
    """One cell's term of the divergence, with the variant mass floored (see "Rounding")."""
    if base_mass == 0.0:
        return 0.0
    return base_mass * math.log(base_mass / max(var_mass, VARIANT_CELL_FLOOR))


def _check_aligned(seq_base: Sequence[TopLogprobs], seq_var: Sequence[TopLogprobs]) -> None:
    """Reject sequences that are empty or of different lengths (they cannot be paired)."""
    if len(seq_base) != len(seq_var):
        raise ValueError(
            f"baseline has {len(seq_base)} positions but variant has {len(seq_var)}"
        )
    if not seq_base:
        raise ValueError("cannot average over zero positions")
