"""Teacher-forced scores from full log-softmax rows, for backends that hold whole distributions.

A backend that computes the model's full next-token distribution at each position (llama.cpp,
transformers, a mock) passes the scored token ids and those rows here and gets the answer to a
:class:`~qframe.plugin_api.protocols.TeacherForcedRequest`, so every backend cuts top-k lists and tail
masses the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qframe.plugin_api.protocols import TeacherForcedRequest, TeacherForcedScores


def scores_from_rows(tokens: Sequence[int], rows: Any, request: TeacherForcedRequest) -> TeacherForcedScores:
    """Answer ``request`` from ``rows`` (positions x vocabulary, natural-log probabilities).

    Row ``i`` is the distribution before ``tokens[i]``. The rest mass is summed over the tokens
    outside the returned ids directly (a log-sum-exp of the complement), not taken as one minus
    the returned mass, so it stays exact when it is tiny.
    """
    import numpy as np

    rows = np.asarray(rows, dtype=np.float64)
    n_positions, vocab = rows.shape
    if n_positions != len(tokens):
        raise ValueError(f"{n_positions} rows for {len(tokens)} tokens")
    index = np.arange(n_positions)
    ids = np.asarray(tokens, dtype=np.int64)
    if request.top_k > 0:
        k = min(request.top_k, vocab)
        chosen = np.argpartition(-rows, k - 1, axis=1)[:, :k] if k < vocab else np.tile(np.arange(vocab), (n_positions, 1))
        order = np.argsort(-np.take_along_axis(rows, chosen, axis=1), axis=1, kind="stable")
        chosen = np.take_along_axis(chosen, order, axis=1)
    else:
        at_ids = request.at_ids or ()
        if len(at_ids) != n_positions:
            raise ValueError(f"{len(at_ids)} at_ids rows for {n_positions} positions")
        chosen = [np.asarray(row_ids, dtype=np.int64) for row_ids in at_ids]
        if any(ids.size and (ids.min() < 0 or ids.max() >= vocab) for ids in chosen):
            raise ValueError(f"at_ids hold a token id outside the vocabulary of {vocab}")
    picked = [rows[i, chosen[i]] for i in range(n_positions)]
    rest = [_rest_logprob(rows[i], chosen[i]) for i in range(n_positions)]
    answer = {
        "tokens": tuple(int(t) for t in ids),
        "token_logprobs": tuple(rows[index, ids].tolist()),
        "top1": tuple(rows.argmax(axis=1).tolist()) if n_positions else (),
        "rest_logprob": tuple(rest),
        "vocab_size": int(vocab),
    }
    if request.top_k > 0:
        answer |= {
            "top_ids": tuple(tuple(row.tolist()) for row in chosen),
            "top_logprobs": tuple(tuple(values.tolist()) for values in picked),
        }
    else:
        answer["at_logprobs"] = tuple(tuple(values.tolist()) for values in picked)
    return TeacherForcedScores(**answer)


def _rest_logprob(row: Any, chosen: Any) -> float:
    """Natural log of the mass of ``row`` outside ``chosen`` (``-inf`` when nothing is left)."""
    import numpy as np

    outside = np.ones(row.shape[0], dtype=bool)
    outside[chosen] = False
    if not outside.any():
        return float("-inf")
    values = row[outside]
    peak = values.max()
    if peak == -np.inf:
        return float("-inf")
    return float(peak + np.log(np.exp(values - peak).sum()))
