"""Backend ``llamacpp``: a GGUF model run by llama.cpp in a worker process of its own.

Options (per variant or ladder): ``n_ctx`` (default 2048), ``n_threads`` (default: llama.cpp's
choice). Each open model lives in its own worker process (:mod:`.engine_process`), so a native
fault in llama.cpp ends that worker, not the run: the call and every later one of the variant
fail with :class:`qframe.plugin_api.errors.EngineCrashedError`, stored with the items. Every worker is asked
from one dedicated thread shared by all models of the process, so the event loop stays free and
no two models compute at once (their timings would disturb each other). The model keeps
per-position logits only when the experiment asks for top-k log-probabilities
(``BackendSpec.top_logprobs``); a request that asks for them anyway reloads it once with them.
``teacher_force`` (the fidelity stage's capability) works either way: it asks llama.cpp for the
logits of the scored rows only.

Cancellation (Ctrl-C, SIGTERM) never waits long for llama.cpp: a cancelled generation is told to
stop at its next token, ``close`` waits at most :data:`CLOSE_WAIT_S` for the call in flight and
then kills the worker, and the thread is a daemon, so the process exits even while a call runs.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from qframe.plugin_api.errors import BadInputError, BackendError
from qframe_llamacpp.engine import prompt_for
from qframe.plugin_api.protocols import (
    BackendSpec,
    GenerationRequest,
    GenerationResult,
    ModelInfo,
    Requirements,
    TeacherForcedRequest,
    TeacherForcedScores,
)


CLOSE_WAIT_S = 2.0
"""How long ``close`` waits for an in-flight llama.cpp call before leaving the model to be freed
when that call returns."""


class DaemonThreadExecutor(Executor):
    """Runs submitted calls one after another on one daemon thread (the workers are started from
    it too: on Linux a worker dies with the thread that started it).

    Written by hand because ``ThreadPoolExecutor`` joins its (non-daemon) workers at interpreter
    exit, so a process told to stop would wait for a native call that cannot be interrupted.
    """

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future, Callable[[], Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()
        atexit.register(self.stop, CLOSE_WAIT_S)

    def stop(self, wait_s: float) -> None:
        """Let the thread end after the calls queued so far, waiting at most ``wait_s``.

        Called at interpreter exit, so that workers still open are closed in order.
        """
        self._jobs.put(None)
        self._thread.join(wait_s)

    def submit(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        self._jobs.put((future, functools.partial(function, *args, **kwargs)))
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, call = job
            if not future.set_running_or_notify_cancel():
                continue  # cancelled before it started
            try:
                result = call()
            except BaseException as exc:  # handed to the awaiting coroutine
                future.set_exception(exc)
            else:
                future.set_result(result)


@functools.cache
def _llama_thread() -> DaemonThreadExecutor:
    return DaemonThreadExecutor("llama.cpp")


async def _on_llama_thread(function: Callable[..., Any], *args: Any, on_cancel: Callable[[], None] | None = None) -> Any:
    """Run ``function`` on the llama.cpp thread; if the caller is cancelled, call ``on_cancel``."""
    try:
        return await asyncio.get_running_loop().run_in_executor(_llama_thread(), functools.partial(function, *args))
    except asyncio.CancelledError:
        if on_cancel is not None:
            on_cancel()
        raise


class LlamaCppBackend:
    default_concurrency = 1

    def __init__(self, spec: BackendSpec) -> None:
        options = dict(spec.options)
        self.path = Path(spec.model).expanduser()
        self.quant = spec.quant
        self.seed = spec.seed
        self.n_ctx = int(options.get("n_ctx", 2048))
        self.n_threads = options.get("n_threads")
        self.logits_all = spec.top_logprobs > 0
        self._engine: Any = None
        self._lock = asyncio.Lock()

    async def preflight(self, requirements: Requirements) -> None:
        """Check the GGUF file (exists, readable, complete) without loading it."""
        from qframe_llamacpp.gguf_info import check_gguf_file

        try:
            await asyncio.to_thread(check_gguf_file, self.path)
        except (ValueError, OSError) as exc:
            raise BadInputError(str(exc)) from None

    async def weights_digest(self) -> str:
        """SHA-256 of the GGUF's tensors alone, without loading the model: two quant labels whose
        tensors all fell back to the same types share it (cached per unchanged file)."""
        from qframe.data.cache import cache_dir

        from qframe_llamacpp.info_cache import weights_sha256_cached

        try:
            return await asyncio.to_thread(weights_sha256_cached, self.path, cache_dir() / "gguf-info")
        except (ValueError, OSError) as exc:
            raise BadInputError(f"{self.path}: {exc}") from None

    async def open(self) -> ModelInfo:
        from qframe.data.cache import cache_dir

        from qframe_llamacpp.info_cache import inspect_gguf_cached
        from qframe_llamacpp.ladder import sidecar_provenance

        if not self.path.is_file():
            raise BadInputError(f"model file not found: {self.path}")
        # Reading the GGUF's tables and hashing it overlaps with llama.cpp loading the model.
        info, engine = await asyncio.gather(
            asyncio.to_thread(inspect_gguf_cached, self.path, cache_dir() / "gguf-info"),
            _on_llama_thread(self._load, self.logits_all),
            return_exceptions=True,
        )
        failure = next((result for result in (info, engine) if isinstance(result, BaseException)), None)
        if failure is not None:
            if not isinstance(engine, BaseException):
                await _on_llama_thread(engine.close)
            if isinstance(failure, ValueError):
                raise BadInputError(str(failure)) from None
            raise failure
        self._engine, versions = engine
        return ModelInfo(
            model=str(self.path),
            digest=info.sha256,
            quant=self.quant or info.file_type,
            engine=f"llama.cpp via llama-cpp-python {versions['llama_cpp_python']}",
            size_bytes=info.size_bytes,
            parameters=info.parameter_count,
            bits_per_weight=info.bits_per_weight,
            details={
                "architecture": info.architecture,
                "file_type": info.file_type,
                "context_length": info.context_length,
                "tensor_types": info.tensor_types,
                "tensor_type_elements": info.tensor_type_elements,
                "llama_cpp_system_info": versions["system_info"],
                "native_log": str(self.native_log),
                **info.shape,
                **sidecar_provenance(self.path, info.sha256),
            },
        )

    def _load(self, logits_all: bool) -> tuple[Any, dict[str, str]]:
        """A worker with the model loaded, and its engine versions (runs on the llama.cpp thread)."""
        from qframe_llamacpp.engine_process import EngineProcess

        engine = EngineProcess(self.native_log)
        try:
            versions = engine.call(
                "open", str(self.path), self.n_ctx, self.n_threads, self.seed, logits_all, str(self.native_log)
            )
        except BaseException:
            engine.close()
            raise
        self.logits_all = logits_all
        return engine, versions

    @property
    def native_log(self) -> Path:
        """Where llama.cpp's model-loading log and its worker's stderr go (one file per model name, appended)."""
        from qframe.data.cache import cache_dir

        return cache_dir() / "llama.cpp-logs" / f"{self.path.stem}.log"

    async def _engine_for(self, request: GenerationRequest) -> Any:
        if self._engine is None:
            raise BackendError("llamacpp backend used before open()")
        if request.top_logprobs and not self.logits_all:
            await _on_llama_thread(self._engine.close)
            self._engine, _ = await _on_llama_thread(self._load, True)
        return self._engine

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        async with self._lock:
            engine = await self._engine_for(request)
            result = await _on_llama_thread(
                engine.call,
                "generate",
                prompt_for(request.prompt, request.system, request.chat),
                request.max_tokens,
                request.temperature,
                list(request.stop),
                request.top_logprobs or None,
                request.chat,
                on_cancel=engine.abort,
            )
        return GenerationResult(
            text=result.text,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            finish_reason=result.finish_reason,
            prompt_eval_ms=result.prompt_eval_ms,
            eval_ms=result.eval_ms,
            eval_tokens=result.n_eval,
            ttft_ms=result.ttft_ms,
            top_logprobs=tuple(result.top_logprobs) if result.top_logprobs else None,
            applied={
                "temperature": request.temperature,
                "seed": self.seed,
                "max_tokens": request.max_tokens,
                "chat_template": request.chat,
                "n_ctx": self.n_ctx,
            },
        )

    async def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        async with self._lock:
            if self._engine is None:
                raise BackendError("llamacpp backend used before open()")
            return await _on_llama_thread(self._engine.call, "loglikelihood", context, list(continuations))

    async def teacher_force(self, request: TeacherForcedRequest) -> TeacherForcedScores:
        """Score a fixed continuation teacher-forced (see :class:`qframe.plugin_api.protocols.TeacherForcedRequest`).

        The prompt is rendered as :meth:`generate` renders it; the full distribution at every
        position comes from llama.cpp's logits, cut in the worker to the requested ids with exact
        tail masses (so only those cross the pipe).
        """
        async with self._lock:
            if self._engine is None:
                raise BackendError("llamacpp backend used before open()")
            try:
                return await _on_llama_thread(self._engine.call, "teacher_force", request)
            except ValueError as exc:
                raise BackendError(str(exc)) from None

    async def close(self) -> None:
        """Free the model; waits at most :data:`CLOSE_WAIT_S` behind a call still in flight, then
        kills the worker."""
        if self._engine is not None:
            engine, self._engine = self._engine, None
            closing = asyncio.ensure_future(_on_llama_thread(engine.close))
            try:
                await asyncio.wait_for(asyncio.shield(closing), CLOSE_WAIT_S)
            except TimeoutError:
                engine.kill()  # the in-flight call returns at once; the queued close then reaps the worker

