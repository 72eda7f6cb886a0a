"""One reply of ``/api/generate`` or ``/api/chat``, streamed or whole, as a GenerationResult.

Timings are the daemon's own, in nanoseconds on the wire: ``prompt_eval_duration`` and
``prompt_eval_count`` time the prompt pass, ``eval_duration`` and ``eval_count`` the generated
tokens, ``load_duration`` the model load. Load time is kept out of every generation figure: it
is reported as ``applied["load_ms"]``, and the streamed time to first token has it subtracted.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from qframe.plugin_api.errors import BackendError, BackendResponseError
from qframe.plugin_api.protocols import GenerationResult

NS_PER_MS = 1e6


@attrs.define
class Reply:
    """Text, logprob entries and the final chunk (the one with ``done``) of one reply."""

    parts: list[str] = attrs.Factory(list)
    logprobs: list[Any] = attrs.Factory(list)
    final: Any = None
    first_chunk_ms: float | None = None

    def add(self, chunk: Any, started: float) -> None:
        text = _chunk_text(chunk)
        if text and self.first_chunk_ms is None:
            self.first_chunk_ms = (time.perf_counter() - started) * 1000
        self.parts.append(text)
        self.logprobs.extend(chunk.logprobs or ())
        if chunk.done:
            self.final = chunk


async def read_reply(reply: Any, stream: bool, started: float) -> Reply:
    """Collect a whole reply, or every chunk of a streamed one (an async iterator)."""
    collected = Reply()
    if stream:
        async for chunk in reply:
            collected.add(chunk, started)
    else:
        collected.add(reply, started)
    if collected.final is None:
        raise BackendResponseError("ollama reply ended before its final chunk (no 'done')")
    return collected


def to_result(reply: Reply, streamed: bool, top_logprobs: int, applied: Mapping[str, Any]) -> GenerationResult:
    """The stored form of a reply; checks that the options sent were obeyed.

    ``applied`` is what was sent; the server's load time is added to it as ``load_ms``.
    """
    final = reply.final
    text = "".join(reply.parts)
    eval_count = final.eval_count or 0
    _check_obeyed(text, eval_count, applied)
    load_ms = _ms(final.load_duration)
    prompt_eval_ms = _ms(final.prompt_eval_duration)
    if streamed and reply.first_chunk_ms is not None:
        ttft_ms = max(reply.first_chunk_ms - (load_ms or 0.0), 0.0)
    else:
        ttft_ms = prompt_eval_ms
    return GenerationResult(
        text=text,
        prompt_tokens=final.prompt_eval_count or 0,
        completion_tokens=eval_count,
        finish_reason=final.done_reason or "stop",
        prompt_eval_ms=prompt_eval_ms,
        eval_ms=_ms(final.eval_duration),
        eval_tokens=eval_count,
        ttft_ms=ttft_ms,
        top_logprobs=_top_logprobs(reply.logprobs, eval_count) if top_logprobs else None,
        applied={**applied, "load_ms": load_ms},
    )


def _check_obeyed(text: str, eval_count: int, applied: Mapping[str, Any]) -> None:
    """A reply that shows an option was dropped is a permanent error, not a silent change."""
    limit = applied["num_predict"]
    if eval_count > limit:
        raise BackendError(f"ollama ignored num_predict: {eval_count} tokens generated, limit {limit}")
    for stop in applied.get("stop") or ():
        if stop and stop in text:
            raise BackendError(f"ollama ignored the stop sequence {stop!r}: it appears in the reply")


def _top_logprobs(entries: Sequence[Any], eval_count: int) -> tuple[dict[str, float], ...]:
    """Per generated token, its alternatives (token -> log-probability), most likely first.

    Tokens whose text is the same keep the higher log-probability.
    """
    if not entries and eval_count:
        raise BackendResponseError("ollama reply has no logprobs although they were asked for")
    positions = []
    for entry in entries:
        alternatives = list(entry.top_logprobs or ()) or [entry]
        position: dict[str, float] = {}
        for alternative in sorted(alternatives, key=lambda a: a.logprob, reverse=True):
            position.setdefault(alternative.token, float(alternative.logprob))
        positions.append(position)
    return tuple(positions)


def _chunk_text(chunk: Any) -> str:
    message = getattr(chunk, "message", None)
    if message is not None:
        return message.content or ""
    return getattr(chunk, "response", None) or ""


def _ms(nanoseconds: int | None) -> float | None:
    return nanoseconds / NS_PER_MS if nanoseconds is not None else None


