"""Collects calls that arrive together into one engine batch.

The runner submits a whole block of items at once (up to the backend's concurrency); vLLM is
fastest when it schedules them together. Each call queues its payload and waits; a drain task
lets the rest of the block arrive (one short pause), sends up to ``max_batch`` payloads as one
request and hands each caller its own result. Calls arriving while a batch runs form the next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

GATHER_S = 0.005
"""Pause before sending, so that calls started in the same event-loop pass join the batch."""


class Batcher:
    def __init__(self, send: Callable[[Sequence[Any]], Awaitable[Sequence[Any]]], max_batch: int) -> None:
        self._send = send
        self._max_batch = max_batch
        self._pending: list[tuple[Any, asyncio.Future[Any]]] = []
        self._drain_task: asyncio.Task[None] | None = None

    async def submit(self, payload: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((payload, future))
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            await asyncio.sleep(GATHER_S)
            batch = [(p, f) for p, f in self._pending[: self._max_batch] if not f.done()]
            del self._pending[: self._max_batch]
            if not batch:
                continue
            try:
                results = await self._send([payload for payload, _ in batch])
            except Exception as exc:  # the whole batch failed: every caller gets the error
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
