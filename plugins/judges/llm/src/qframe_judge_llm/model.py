"""Asking the judge model: one backend, temperature 0, bounded concurrency, retries with backoff.

A call that still fails after its attempts (or fails permanently) gives a reply with an error
instead of raising, so one bad call never loses the verdicts of the others.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

import attrs

from qframe.config import RetrySection
from qframe.plugin_api.protocols import BackendProvider, BackendSpec, GenerationRequest, ModelInfo
from qframe.run.runner import TRANSIENT, backoff_delay
from qframe_judge_llm.settings import JudgeSettings


@attrs.frozen
class Reply:
    """The judge model's text, or the error that prevented an answer."""

    text: str
    error: str | None = None


class JudgeModel:
    """The judge's backend, opened for one batch of questions (``async with``)."""

    def __init__(self, settings: JudgeSettings, backends: BackendProvider) -> None:
        self.settings = settings
        self.backend = backends(
            BackendSpec(settings.backend, settings.model, seed=settings.seed, options=settings.backend_options)
        )
        self.info: ModelInfo | None = None
        self._retry = RetrySection(attempts=settings.attempts)
        self._jitter = random.Random(settings.seed)

    async def __aenter__(self) -> JudgeModel:
        self.info = await self.backend.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.backend.close()

    async def ask_all(self, prompts: Sequence[str]) -> list[Reply]:
        """Replies in the order of the prompts, at most ``concurrency`` calls in flight."""
        limit = asyncio.Semaphore(self.settings.concurrency or self.backend.default_concurrency)

        async def bounded(prompt: str) -> Reply:
            async with limit:
                return await self.ask(prompt)

        return list(await asyncio.gather(*(bounded(prompt) for prompt in prompts)))

    async def ask(self, prompt: str) -> Reply:
        request = GenerationRequest(
            prompt=prompt,
            max_tokens=self.settings.max_tokens,
            temperature=0.0,
            seed=self.settings.seed,
            system=self.settings.system,
            chat=self.settings.chat,
        )
        failure: BaseException | None = None
        for attempt in range(self.settings.attempts):
            try:
                result = await asyncio.wait_for(self.backend.generate(request), self.settings.timeout_s)
                return Reply(result.text)
            except TRANSIENT as exc:
                failure = exc
                if attempt + 1 < self.settings.attempts:
                    await asyncio.sleep(backoff_delay(attempt, self._retry, self._jitter))
            except Exception as exc:  # a permanent failure is recorded with the verdict
                return Reply("", _describe(exc))
        return Reply("", f"failed after {self.settings.attempts} attempts: {_describe(failure)}")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
