"""Loglikelihood over HTTP: the server scores a given text through ``/v1/completions`` with
``echo`` and ``logprobs`` (the prompt's own tokens come back with their log-probabilities).

One request per continuation, ``context + continuation`` as the prompt and ``max_tokens = 1``
(some servers read 0 as "no limit"). The continuation's tokens are the echoed tokens that end
after the context: a token straddling the boundary (when the joint text tokenizes across it)
belongs to the continuation, as in the in-process backend. Servers that keep the context in a
prompt cache (llama.cpp's do) evaluate it once for all of a question's continuations.

A server that cannot do this is refused with :class:`~qframe.plugin_api.errors.MissingCapabilityError`:
one that does not echo the prompt or returns no per-token log-probabilities for it, and one
whose log-probabilities are shifted by a token. The last is how the llama-cpp-python server
answers for models that add no BOS token: it pairs each prompt token with the distribution of
the next position, and the generated token is then missing from the list. A reply is checked
for that whenever the server generated a token.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from qframe.plugin_api.errors import BackendResponseError, MissingCapabilityError

CANNOT_SCORE = (
    "backend 'openai': the server at {where} cannot score a given text ({why}); loglikelihood multiple "
    "choice needs /v1/completions with echo and logprobs; run the task in generation mode (option "
    "mode = \"generate\") and let the answer be rescored instead"
)


MAX_ARTIFACT = 2


def scoring_body(model: str, text: str, extra: Mapping[str, Any]) -> dict[str, Any]:
    """Score ``text``: echo it with one log-probability per token (``extra`` cannot change that)."""
    return dict(extra) | {
        "model": model,
        "prompt": text,
        "max_tokens": 1,
        "temperature": 0.0,
        "echo": True,
        "logprobs": 1,
        "stream": False,
    }


@attrs.frozen
class Scored:
    """A continuation's log-probability; ``verified`` when the reply proved its alignment (the
    server generated a token, and that token's entry is where it belongs)."""

    logprob: float
    verified: bool


def continuation_logprob(reply: Any, context: str, continuation: str, where: str) -> Scored:
    """Sum of the log-probabilities of the continuation's tokens in a scoring reply."""
    text = context + continuation
    echoed, offsets, tokens, values = _echoed_tokens(reply, where)
    if not echoed.startswith(text):
        raise MissingCapabilityError(CANNOT_SCORE.format(where=where, why="the reply does not echo the prompt"))
    shift = _leading_artifact(tokens, text, where)
    verified = _aligned(reply, [offset - shift for offset in offsets], len(text), where)
    if not continuation:
        return Scored(0.0, verified)
    chosen = [
        index
        for index, (offset, token) in enumerate(zip(offsets, tokens, strict=True))
        if offset - shift < len(text) and offset - shift + len(token) > len(context)
    ]
    if not chosen:
        raise BackendResponseError(f"{where}: no echoed token covers the continuation {continuation!r}")
    missing = [index for index in chosen if values[index] is None]
    if missing:
        raise BackendResponseError(
            f"{where}: no log-probability for token {tokens[missing[0]]!r}; the context must not be empty"
        )
    return Scored(float(sum(values[index] for index in chosen)), verified)


def _aligned(reply: Mapping[str, Any], offsets: Sequence[int], prompt_length: int, where: str) -> bool:
    """When the server generated a token, its entry must follow the prompt's: a list that ends
    inside the prompt pairs every token with the next position. True when so checked, False when
    nothing was generated (the reply cannot tell)."""
    usage = reply.get("usage")
    generated = usage.get("completion_tokens") if isinstance(usage, Mapping) else None
    if not isinstance(generated, int) or generated < 1:
        return False
    if not any(offset >= prompt_length for offset in offsets):
        raise MissingCapabilityError(
            CANNOT_SCORE.format(where=where, why="its prompt log-probabilities are shifted by one token")
        )
    return True


def _leading_artifact(tokens: Sequence[str], text: str, where: str) -> int:
    """Characters the detokenized prompt has before the prompt itself: 1 for SentencePiece
    tokenizers, whose first word carries the space marker (llama-cpp-python's offsets count it),
    else 0. The echoed tokens must spell the prompt after it."""
    spelled, start = "".join(tokens), text[:16]
    for shift in range(MAX_ARTIFACT + 1):
        if spelled[shift:].startswith(start):
            return shift
    raise BackendResponseError(f"{where}/v1/completions: the echoed tokens do not spell the prompt")


def _echoed_tokens(reply: Any, where: str) -> tuple[str, list[int], list[str], list[float | None]]:
    try:
        choice = reply["choices"][0]
        echoed = choice["text"]
        logprobs = choice["logprobs"]
    except (KeyError, IndexError, TypeError):
        raise BackendResponseError(f"{where}/v1/completions: scoring reply has no choice with text and logprobs") from None
    if not isinstance(logprobs, Mapping) or not isinstance(echoed, str):
        raise MissingCapabilityError(CANNOT_SCORE.format(where=where, why="the reply has no log-probabilities"))
    offsets, tokens, values = (logprobs.get(key) for key in ("text_offset", "tokens", "token_logprobs"))
    if not (isinstance(offsets, list) and isinstance(tokens, list) and isinstance(values, list)):
        raise MissingCapabilityError(
            CANNOT_SCORE.format(where=where, why="the reply lacks text_offset, tokens or token_logprobs")
        )
    if not len(offsets) == len(tokens) == len(values) or not _well_formed(offsets, tokens, values):
        raise BackendResponseError(f"{where}/v1/completions: scoring reply has inconsistent logprob lists")
    return echoed, offsets, tokens, values


def _well_formed(offsets: Sequence[Any], tokens: Sequence[Any], values: Sequence[Any]) -> bool:
    return (
        all(isinstance(offset, int) for offset in offsets)
        and all(isinstance(token, str) for token in tokens)
        and all(value is None or isinstance(value, int | float) for value in values)
        and all(a <= b for a, b in itertools.pairwise(offsets))
    )
