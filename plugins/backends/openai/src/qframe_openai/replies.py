"""Request bodies for generation and reading the server's replies into a GenerationResult.

Chat requests go to ``/v1/chat/completions`` (the server applies the model's chat template);
plain completion (``chat = false``) to ``/v1/completions``. A reply missing a field qframe needs
raises BackendResponseError (retried); a reply without the log-probabilities asked for raises
MissingCapabilityError. Native timings come from llama-server's ``timings`` object; servers
that report none leave them empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from qframe.plugin_api.errors import BackendResponseError, MissingCapabilityError
from qframe.plugin_api.protocols import GenerationRequest, GenerationResult

CHAT_PATH, COMPLETION_PATH = "/v1/chat/completions", "/v1/completions"


def generation_body(request: GenerationRequest, model: str, stream: bool, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of one generation; ``extra`` fields are added last and win."""
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "seed": request.seed,
        "stream": stream,
    }
    if request.chat:
        messages = [{"role": "system", "content": request.system}] if request.system else []
        body["messages"] = [*messages, {"role": "user", "content": request.prompt}]
        if request.top_logprobs:
            body |= {"logprobs": True, "top_logprobs": request.top_logprobs}
    else:
        body["prompt"] = f"{request.system}\n\n{request.prompt}" if request.system else request.prompt
        if request.top_logprobs:
            body["logprobs"] = request.top_logprobs
    if request.stop:
        body["stop"] = list(request.stop)
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body | dict(extra)


def applied_options(body: Mapping[str, Any]) -> dict[str, Any]:
    """What the request asked of the server, for provenance (the prompt itself left out)."""
    return {key: value for key, value in body.items() if key not in ("messages", "prompt")}


@attrs.define
class ReplyParts:
    """A reply taken apart; a streamed reply is assembled chunk by chunk into one of these."""

    text: list[str] = attrs.Factory(list)
    finish_reason: str | None = None
    usage: Mapping[str, Any] | None = None
    timings: Mapping[str, Any] | None = None
    logprobs: list[dict[str, float]] = attrs.Factory(list)
    has_logprobs: bool = False
    ttft_ms: float | None = None
    streamed: bool = False

    def add_choice(self, choice: Mapping[str, Any], chat: bool, streamed: bool) -> None:
        if chat:
            message = choice.get("delta" if streamed else "message")
            if not isinstance(message, Mapping):
                raise BackendResponseError("chat reply choice has no message")
            text = message.get("content") or ""
        else:
            text = choice.get("text")
            if not isinstance(text, str):
                raise BackendResponseError("completion reply choice has no text")
        if text:
            self.text.append(text)
        if choice.get("finish_reason"):
            self.finish_reason = choice["finish_reason"]
        logprobs = choice.get("logprobs")
        if logprobs:
            self.has_logprobs = True
            self.logprobs += _chat_logprobs(logprobs) if chat else _completion_logprobs(logprobs)

    def add_reply(self, reply: Any, chat: bool, streamed: bool) -> None:
        if not isinstance(reply, Mapping):
            raise BackendResponseError("reply is not a JSON object")
        self.streamed = self.streamed or streamed
        choices = reply.get("choices")
        if isinstance(choices, list) and choices:
            if not isinstance(choices[0], Mapping):
                raise BackendResponseError("reply choice is not an object")
            self.add_choice(choices[0], chat, streamed)
        elif not streamed:
            raise BackendResponseError("reply has no choices")
        if isinstance(reply.get("usage"), Mapping):
            self.usage = reply["usage"]
        if isinstance(reply.get("timings"), Mapping):
            self.timings = reply["timings"]

    def result(self, request: GenerationRequest, applied: Mapping[str, Any]) -> GenerationResult:
        if self.finish_reason is None:
            raise BackendResponseError("reply has no finish_reason (cut short?)")
        if request.top_logprobs and not self.has_logprobs:
            raise MissingCapabilityError(
                "backend 'openai': the server returned no log-probabilities for generated tokens; "
                "set experiment.top_logprobs = 0 or use a server that returns them"
            )
        prompt_tokens, completion_tokens, counted = self._token_counts()
        timings = self.timings or {}
        return GenerationResult(
            text="".join(self.text),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=self.finish_reason,
            prompt_eval_ms=_number(timings.get("prompt_ms")),
            eval_ms=_number(timings.get("predicted_ms")),
            eval_tokens=_integer(timings.get("predicted_n")),
            ttft_ms=self.ttft_ms,
            top_logprobs=tuple(_top(position, request.top_logprobs) for position in self.logprobs)
            if request.top_logprobs
            else None,
            applied=dict(applied) | ({"token_counts": counted} if counted else {}),
        )

    def _token_counts(self) -> tuple[Any, Any, str | None]:
        """(prompt, completion, a note when the server did not report them in ``usage``)."""
        usage, timings = self.usage or {}, self.timings or {}
        prompt = _integer(usage.get("prompt_tokens"))
        completion = _integer(usage.get("completion_tokens"))
        if prompt is not None and completion is not None:
            return prompt, completion, None
        if _integer(timings.get("prompt_n")) is not None and _integer(timings.get("predicted_n")) is not None:
            return timings["prompt_n"], timings["predicted_n"], "from the server's timings"
        if self.streamed:
            # Some servers (llama-cpp-python's) send no usage in streams, and chunks are not
            # tokens (bytes of a multi-byte character wait for the rest): the counts stay missing.
            return None, None, "not reported by the server in streamed replies"
        raise BackendResponseError("reply has no usage token counts")


def _chat_logprobs(logprobs: Any) -> list[dict[str, float]]:
    content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
    if not isinstance(content, list):
        raise BackendResponseError("chat reply logprobs have no 'content' list")
    positions = []
    for entry in content:
        alternatives = entry.get("top_logprobs") if isinstance(entry, Mapping) else None
        if not isinstance(alternatives, list):
            raise BackendResponseError("chat reply logprobs entry has no 'top_logprobs' list")
        positions.append(_pairs((item.get("token"), item.get("logprob")) for item in alternatives))
    return positions


def _completion_logprobs(logprobs: Any) -> list[dict[str, float]]:
    top = logprobs.get("top_logprobs") if isinstance(logprobs, Mapping) else None
    if not isinstance(top, list) or not all(isinstance(position, Mapping) for position in top):
        raise BackendResponseError("completion reply logprobs have no 'top_logprobs' list of objects")
    return [_pairs(position.items()) for position in top]


def _pairs(items: Iterable[tuple[Any, Any]]) -> dict[str, float]:
    pairs = {}
    for token, logprob in items:
        if not isinstance(token, str) or _number(logprob) is None:
            raise BackendResponseError(f"logprob entry is not a token and a number: {token!r}: {logprob!r}")
        pairs[token] = max(float(logprob), pairs.get(token, float("-inf")))
    return pairs


def _top(position: Mapping[str, float], k: int) -> dict[str, float]:
    """The ``k`` most likely tokens, most likely first (servers may add the sampled token)."""
    ranked: Sequence[tuple[str, float]] = sorted(position.items(), key=lambda item: item[1], reverse=True)
    return dict(ranked[:k])


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
