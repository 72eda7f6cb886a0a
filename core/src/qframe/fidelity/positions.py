"""The ``teacher_forced`` comparison: a variant's distribution against the baseline's, per position.

Both models scored the same token sequence (the baseline's own output, end-of-generation token
included), so position ``i`` of each is conditioned on the same text. The baseline kept only its
top-k tokens per position (ids ``S``, log-probabilities ``log p_t``) and the exact mass outside
them, ``r = 1 - P(S)``; the variant returned its log-probabilities ``log q_t`` at those same ids
and the exact mass outside them, ``q_rest = 1 - Q(S)``. Then

    kl = sum_{t in S} p_t log(p_t / q_t) + r log(r / q_rest)

in nats. Pooling the tokens outside ``S`` into one cell never increases a KL divergence (the
log-sum inequality), so ``kl`` is a lower bound on the full-vocabulary KL(baseline || variant),
exact when ``S`` covers the vocabulary (``r = 0``) and off only by the divergence hidden inside
the tail, which shrinks with ``r``. No probability is guessed: both tail masses are exact.

Per position also: ``top1_match`` (the variant's own most likely token is the baseline's) and
``logprob_delta`` (the variant's log-probability of the scored token minus the baseline's).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

VARIANT_REST_FLOOR = 1e-12
"""Smallest variant tail mass used when the baseline's tail is positive, so rounding cannot
give an infinite divergence (raising a variant mass only lowers the bound)."""


@attrs.frozen
class PositionComparison:
    """Per-position fidelity of one item: three aligned lists, one entry per scored token."""

    kl: list[float]
    top1_match: list[bool]
    logprob_delta: list[float]


def compare_teacher_forced(
    reference_top_ids: Sequence[Sequence[int]],
    reference_top_logprobs: Sequence[Sequence[float]],
    reference_rest_logprob: Sequence[float],
    reference_token_logprobs: Sequence[float],
    variant_at_logprobs: Sequence[Sequence[float]],
    variant_rest_logprob: Sequence[float],
    variant_top1: Sequence[int],
    variant_token_logprobs: Sequence[float],
) -> PositionComparison:
    """Compare a variant's scores at the baseline's top-k ids with the baseline's own, per position."""
    import numpy as np

    n = len(reference_top_ids)
    lengths = {len(reference_top_logprobs), len(reference_rest_logprob), len(reference_token_logprobs),
               len(variant_at_logprobs), len(variant_rest_logprob), len(variant_top1), len(variant_token_logprobs)}
    if lengths != {n}:
        raise ValueError(f"reference and variant cover different positions ({n} vs {sorted(lengths)})")
    kl = []
    for position in range(n):
        log_p = np.asarray(reference_top_logprobs[position], dtype=np.float64)
        log_q = np.asarray(variant_at_logprobs[position], dtype=np.float64)
        if log_p.shape != log_q.shape:
            raise ValueError(f"position {position}: {log_p.size} baseline ids but {log_q.size} variant values")
        head = float(np.sum(np.exp(log_p) * (log_p - log_q)))
        kl.append(head + _tail_term(reference_rest_logprob[position], variant_rest_logprob[position]))
    top1 = [bool(ids) and int(ids[0]) == int(own) for ids, own in zip(reference_top_ids, variant_top1, strict=True)]
    delta = [float(v) - float(b) for v, b in zip(variant_token_logprobs, reference_token_logprobs, strict=True)]
    return PositionComparison(kl=kl, top1_match=top1, logprob_delta=delta)


def _tail_term(base_rest_logprob: float, variant_rest_logprob: float) -> float:
    """``r log(r / q_rest)`` from the two log tail masses; 0 when the baseline has no tail."""
    import math

    if base_rest_logprob == -math.inf:
        return 0.0
    r = math.exp(base_rest_logprob)
    log_q_rest = max(variant_rest_logprob, math.log(VARIANT_REST_FLOOR))
    return r * (base_rest_logprob - log_q_rest)
