"""Async generation stage: runs scheduled units against backends and streams rows to the store.

- Backends are opened on their first unit and closed after their last (so ``sequential`` holds
  one model at a time) and get ``warmup`` untimed calls after opening. A run that generates in
  several jobs (one per look of a run that stops when decided) keeps the backends of
  ``keep_open`` variants in a :class:`BackendPool` between jobs, so models load once.
- Per-backend concurrency limits calls in flight (config ``[concurrency]``, else the backend's
  ``default_concurrency``).
- A backend whose native engine crashed (:class:`qframe.plugin_api.errors.EngineCrashedError`), while
  opening or on any call, fails each of its variant's remaining items with the crash; the other
  variants run on.
- Transient failures (timeouts, server errors, unparseable replies) are retried with exponential
  backoff and jitter, ``retry.attempts`` times in all; an item that still fails is stored with
  its error, never dropped.
- Rows are buffered and flushed every ``store.flush_rows`` rows or ``store.flush_interval_s``
  seconds, and always before returning or on cancellation (Ctrl-C). A buffered row leaves the
  buffer only once the store has written it; a failed write (disk full) stops the stage with
  :class:`qframe.plugin_api.errors.StoreWriteError` and cancels the calls still in flight.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

import attrs

from qframe.config import Experiment, RetrySection, VariantSection
from qframe.plugin_api.errors import BackendError, EngineCrashedError, QframeError, TransientBackendError
from qframe.plugin_api.protocols import Backend, GenerationResult, ModelInfo, RunStore
from qframe.run.plan import Unit, WorkItem, build_request
from qframe.run.progress import RunProgress

TRANSIENT = (TransientBackendError, asyncio.TimeoutError, TimeoutError, ConnectionError)


class RowSink:
    """Buffers rows of one table and appends them to the store in batches."""

    def __init__(self, store: RunStore, table: str, flush_rows: int, flush_interval_s: float) -> None:
        self.store = store
        self.table = table
        self.flush_rows = flush_rows
        self.flush_interval_s = flush_interval_s
        self._rows: list[dict[str, Any]] = []
        self._last_flush = time.monotonic()

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.flush_rows or time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()

    @property
    def pending(self) -> int:
        """Rows buffered but not yet written."""
        return len(self._rows)

    def flush(self) -> None:
        """Write the buffered rows; on failure they stay buffered and the store's error is raised."""
        self._last_flush = time.monotonic()
        if self._rows:
            self.store.append(self.table, self._rows)
            self._rows = []


@attrs.define
class StageResult:
    completed: int = 0
    errors: int = 0


def backoff_delay(attempt: int, policy: RetrySection, rng: random.Random) -> float:
    """Exponential backoff with jitter: up to base * 2**attempt, capped, scaled by [0.5, 1)."""
    ceiling = min(policy.max_delay_s, policy.base_delay_s * 2**attempt)
    return ceiling * (0.5 + rng.random() / 2)


@attrs.define
class BackendPool:
    """Open backends by variant id, variants whose engine crashed, and per-backend concurrency
    limits: what outlives one generation job when models stay loaded between jobs."""

    open: dict[str, Backend] = attrs.Factory(dict)
    crashed: dict[str, str] = attrs.Factory(dict)
    semaphores: dict[str, asyncio.Semaphore] = attrs.Factory(dict)

    async def close(self, keep: Collection[str] = ()) -> None:
        """Close every open backend except those of ``keep``."""
        for variant in [v for v in self.open if v not in keep]:
            await self.open.pop(variant).close()


class GenerationStage:
    """Executes units in order; see the module docstring for the guarantees."""

    def __init__(
        self,
        experiment: Experiment,
        make_backend: Callable[[VariantSection], Backend],
        sink: RowSink,
        progress: RunProgress,
        on_model_info: Callable[[VariantSection, ModelInfo], None] = lambda variant, info: None,
        backends: BackendPool | None = None,
    ) -> None:
        self.experiment = experiment
        self.make_backend = make_backend
        self.sink = sink
        self.progress = progress
        self.on_model_info = on_model_info
        self.result = StageResult()
        self._rng = random.Random(experiment.experiment.seed)
        self.backends = backends or BackendPool()
        self._semaphores = self.backends.semaphores

    async def run(self, units: Sequence[Unit], keep_open: Collection[str] = ()) -> StageResult:
        """Run ``units``; backends of ``keep_open`` variants stay open afterwards (others close)."""
        last_unit = {unit.variant.id: index for index, unit in enumerate(units)}
        open_backends, crashed = self.backends.open, self.backends.crashed
        await self.backends.close(keep={*last_unit, *keep_open})
        finished = False
        try:
            for index, unit in enumerate(units):
                variant = unit.variant
                backend = open_backends.get(variant.id)
                if backend is None and variant.id not in crashed:
                    try:
                        backend = await self._open(variant, unit.items[0])
                    except EngineCrashedError as exc:
                        crashed[variant.id] = _describe(exc, self.experiment.experiment.timeout_s)
                    else:
                        open_backends[variant.id] = backend
                if variant.id in crashed:
                    seed = self.experiment.experiment.seed
                    for item in unit.items:
                        self._record(base_row(item, seed) | {"error": crashed[variant.id], "attempts": 1})
                    continue
                self.progress.describe(f"{variant.id}")
                await gather_or_cancel([self._execute(item, backend) for item in unit.items])
                if last_unit[variant.id] == index and variant.id not in keep_open:
                    await open_backends.pop(variant.id).close()
            finished = True
        finally:
            try:
                self.sink.flush()
            finally:
                await self.backends.close(keep=keep_open if finished else ())
        return self.result

    async def _open(self, variant: VariantSection, first: WorkItem) -> Backend:
        backend = self.make_backend(variant)
        info = await backend.open()
        self.on_model_info(variant, info)
        limit = self.experiment.concurrency.get(
            variant.backend, self.experiment.concurrency.get("default", backend.default_concurrency)
        )
        self._semaphores.setdefault(variant.backend, asyncio.Semaphore(limit))
        for _ in range(self.experiment.experiment.warmup):
            try:
                await asyncio.wait_for(self._call(first, backend), self.experiment.experiment.timeout_s)
            except (QframeError, *TRANSIENT):
                pass  # warm-up only primes caches; its failures do not count
        return backend

    async def _call(self, item: WorkItem, backend: Backend) -> GenerationResult | list[float]:
        sample = item.sample
        if item.mode == "loglikelihood":
            return await backend.loglikelihood(sample.context or sample.prompt, list(sample.continuations))
        return await backend.generate(build_request(self.experiment, sample, item.seed(self.experiment.experiment.seed)))

    async def _execute(self, item: WorkItem, backend: Backend) -> None:
        policy = self.experiment.retry
        semaphore = self._semaphores[item.variant.backend]
        error: str | None = None
        for attempt in range(policy.attempts):
            try:
                async with semaphore:
                    started = time.perf_counter()
                    outcome = await asyncio.wait_for(self._call(item, backend), self.experiment.experiment.timeout_s)
                    wall_ms = (time.perf_counter() - started) * 1000
                row = self._row(item, outcome, wall_ms, attempt + 1)
            except TRANSIENT as exc:
                error = _describe(exc, self.experiment.experiment.timeout_s)
                if attempt + 1 < policy.attempts:
                    await asyncio.sleep(backoff_delay(attempt, policy, self._rng))
                continue
            except Exception as exc:  # a permanent failure is stored with the item, not raised
                error = _describe(exc, self.experiment.experiment.timeout_s)
                break
            self._record(row)  # outside the try: a store failure stops the run, it is no item error
            return
        self._record(base_row(item, self.experiment.experiment.seed) | {"error": error, "attempts": attempt + 1})

    def _record(self, row: dict[str, Any]) -> None:
        failed = row.get("error") is not None
        self.result.completed += not failed
        self.result.errors += failed
        self.sink.add(row)
        self.progress.advance(row.get("completion_tokens") or 0, failed)

    def _row(self, item: WorkItem, outcome: GenerationResult | list[float], wall_ms: float, attempts: int) -> dict[str, Any]:
        row = base_row(item, self.experiment.experiment.seed) | {"wall_ms": wall_ms, "attempts": attempts, "error": None}
        if isinstance(outcome, GenerationResult):
            return row | _generation_columns(outcome)
        return row | _choice_columns(item, outcome)


def base_row(item: WorkItem, experiment_seed: int) -> dict[str, Any]:
    """The columns of a generations row that come from the item alone (a failed item has only these)."""
    return {
        "variant": item.variant.id,
        "task": item.task,
        "sample_id": item.sample.id,
        "repetition": item.repetition,
        "seed": item.seed(experiment_seed),
        "model": item.variant.model,
        "quant": item.variant.quant,
        "mode": item.mode,
        "group": item.sample.group,
        "category": item.sample.metadata.get("category"),
        "request_id": item.sample.metadata.get("request_id"),
        "prompt": item.sample.context if item.mode == "loglikelihood" else item.sample.prompt,
        "completed_at": time.time(),
    }


async def gather_or_cancel(calls: Sequence[Any]) -> list[Any]:
    """Await every call; when one raises, cancel the others (and wait for them) before re-raising."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _generation_columns(result: GenerationResult) -> dict[str, Any]:
    return {
        "text": result.text,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "finish_reason": result.finish_reason,
        "prompt_eval_ms": result.prompt_eval_ms,
        "eval_ms": result.eval_ms,
        "eval_tokens": result.eval_tokens,
        "ttft_ms": result.ttft_ms,
        "top_logprobs": [list(position.items()) for position in result.top_logprobs] if result.top_logprobs else None,
    }


def _choice_columns(item: WorkItem, scores: list[float]) -> dict[str, Any]:
    labels = item.sample.choice_labels or tuple(str(i) for i in range(len(item.sample.continuations)))
    if len(scores) != len(labels):
        raise BackendError(f"loglikelihood returned {len(scores)} scores for {len(labels)} choices")
    best = max(range(len(scores)), key=scores.__getitem__)
    return {"text": labels[best], "choice_logprobs": list(scores), "finish_reason": "choice"}


def _describe(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, asyncio.TimeoutError | TimeoutError) and not str(exc):
        return f"timeout: no answer within {timeout_s:g} s"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
