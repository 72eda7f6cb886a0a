"""Backend ``openai``: a model served by an OpenAI-compatible server, over HTTP (aiohttp).

- ``open`` reads the model's identity (:mod:`.identity`) for the manifest; its digest is
  compared on resume like a GGUF file's. ``default_concurrency`` becomes the server's slot count
  when it reports one (llama-server ``/props``), else the ``concurrency`` option.
- ``generate`` uses ``/v1/chat/completions``, or ``/v1/completions`` for plain completion
  (:mod:`.replies`); ``loglikelihood`` scores continuations with echoed prompt log-probabilities
  (:mod:`.scoring`).
- Failures are typed by :mod:`.transport`: the runner retries the transient ones with backoff,
  a permanent one is stored with its item.
- ``preflight`` checks the server, the model and the capabilities an experiment needs, with
  a probe request for each capability, before a run starts.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence

from qframe.config import RetrySection
from qframe.plugin_api.errors import BackendError, BadInputError, MissingCapabilityError, TransientBackendError
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, GenerationResult, ModelInfo, Requirements
from qframe.run.runner import backoff_delay

from qframe_openai.identity import ServerModel, find_model, props_or_none, server_kind
from qframe_openai.replies import CHAT_PATH, COMPLETION_PATH, ReplyParts, applied_options, generation_body
from qframe_openai.scoring import CANNOT_SCORE, Scored, continuation_logprob, scoring_body
from qframe_openai.settings import read_settings
from qframe_openai.transport import NotFound, Transport

OPEN_RETRY = RetrySection(attempts=3, base_delay_s=0.5, max_delay_s=4.0)
"""``open`` has no runner around it to retry: it retries a server that is briefly away itself."""
PROBES = (("The capital of France is", " Paris"), ("1, 2, 3, 4,", " 5"), ("Once upon a", " time"))
"""Texts that score a server in ``preflight``; the next is tried while the model generates
nothing after one (its reply then cannot show whether the log-probabilities line up)."""


class OpenAIBackend:
    def __init__(self, spec: BackendSpec) -> None:
        self.spec = spec
        self.settings = read_settings(spec.model, spec.options)
        self.default_concurrency = self.settings.concurrency
        self._transport = Transport(self.settings)
        self._jitter = random.Random(spec.seed)
        self._closed = False

    async def open(self) -> ModelInfo:
        self._closed = False
        model = await self._with_retries(self._describe)
        if model.slots is not None:
            self.default_concurrency = model.slots
        build = model.details().get("build_info")
        return ModelInfo(
            model=self.settings.model,
            digest=model.digest,
            quant=self.spec.quant,
            engine=f"{model.server} over HTTP" + (f" ({build})" if build else ""),
            size_bytes=_positive_int(model.meta.get("size")),
            parameters=_positive_int(model.meta.get("n_params")),
            details=model.details() | {"settings": self.settings.describe()},
        )

    async def preflight(self, requirements: Requirements) -> None:
        """The server answers, serves the model, and can do what ``requirements`` asks."""
        try:
            await self._describe()
            if "loglikelihood" in requirements.modes:
                await self._verify_scoring()
            if requirements.top_logprobs:
                probe = GenerationRequest(PROBES[0][0], 1, 0.0, self.spec.seed, top_logprobs=requirements.top_logprobs)
                await self.generate(probe)
        except TransientBackendError as exc:
            raise BadInputError(f"backend 'openai': server {self.settings.base_url} is not usable: {exc}") from None
        finally:
            await self._transport.close()

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        self._refuse_when_closed()
        body = generation_body(request, self.settings.model, self.settings.stream, self.settings.extra_body)
        path = CHAT_PATH if request.chat else COMPLETION_PATH
        parts = ReplyParts()
        if body.get("stream"):
            async for elapsed_ms, chunk in self._transport.post_stream(path, body):
                parts.add_reply(chunk, request.chat, streamed=True)
                if parts.ttft_ms is None and parts.text:
                    parts.ttft_ms = elapsed_ms
        else:
            parts.add_reply(await self._transport.post_json(path, body), request.chat, streamed=False)
        return parts.result(request, applied_options(body))

    async def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        """One scoring request per continuation, in order, so a server's prompt cache keeps the context."""
        self._refuse_when_closed()
        return [(await self._score(context, continuation)).logprob for continuation in continuations]

    async def _score(self, context: str, continuation: str) -> Scored:
        body = scoring_body(self.settings.model, context + continuation, self.settings.extra_body)
        reply = await self._transport.post_json(COMPLETION_PATH, body)
        return continuation_logprob(reply, context, continuation, self.settings.base_url)

    async def _verify_scoring(self) -> None:
        """Score probe texts until one proves the server's prompt log-probabilities line up."""
        for context, continuation in PROBES:
            try:
                scored = await self._score(context, continuation)
            except (TransientBackendError, MissingCapabilityError):
                raise
            except BackendError as exc:  # e.g. HTTP 400: the server rejects echo or logprobs
                raise MissingCapabilityError(CANNOT_SCORE.format(where=self.settings.base_url, why=str(exc))) from None
            if scored.verified:
                return
        raise MissingCapabilityError(
            CANNOT_SCORE.format(where=self.settings.base_url, why="no probe could verify its prompt log-probabilities")
        )

    async def close(self) -> None:
        """Close the HTTP session; calls after this raise until the backend is opened again."""
        self._closed = True
        await self._transport.close()

    def _refuse_when_closed(self) -> None:
        if self._closed:
            raise BackendError(f"backend 'openai': model {self.settings.model!r} was closed; open it again first")

    async def _describe(self) -> ServerModel:
        entry = find_model(await self._transport.get_json("/v1/models"), self.settings.model, self.settings.base_url)
        try:
            props = props_or_none(await self._transport.get_json("/props"))
        except NotFound:
            props = None
        return ServerModel(self.settings.model, server_kind(entry, props), entry, props)

    async def _with_retries(self, call: Callable[[], Awaitable[ServerModel]]) -> ServerModel:
        attempt = 0
        while True:
            try:
                return await call()
            except TransientBackendError:
                attempt += 1
                if attempt == OPEN_RETRY.attempts:
                    raise
                await asyncio.sleep(backoff_delay(attempt - 1, OPEN_RETRY, self._jitter))


def _positive_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
