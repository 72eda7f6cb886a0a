"""Backend ``llamacpp``: a GGUF model run in-process by llama.cpp.

Options (per variant or ladder): ``n_ctx`` (default 2048), ``n_threads`` (default: llama.cpp's
choice). Every llama.cpp call runs on one dedicated worker thread shared by all models of the
process, so the event loop stays free. One thread, not a pool: llama.cpp computes with an OpenMP
team per calling thread, and calls arriving from changing threads leave earlier teams spinning
against the new one (measured: generation twice as slow). The model keeps per-position logits only when
the experiment asks for top-k log-probabilities (``BackendSpec.top_logprobs``); a request that
asks for them anyway reloads it once with them. ``teacher_force`` (the fidelity stage's
capability) works either way: it asks llama.cpp for the logits of the scored rows only.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from qframe.errors import BadInputError, BackendError
from qframe.protocols import (
    BackendSpec,
    GenerationRequest,
    GenerationResult,
    ModelInfo,
    Requirements,
    TeacherForcedRequest,
    TeacherForcedScores,
)


@functools.cache
def _llama_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama.cpp")


async def _on_llama_thread(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(_llama_thread(), functools.partial(function, *args))


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

    async def open(self) -> ModelInfo:
        from qframe.cache import cache_dir

        from qframe_llamacpp.info_cache import inspect_gguf_cached

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
        self._engine = engine
        versions = self._engine.engine_version()
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
            },
        )

    def _load(self, logits_all: bool) -> Any:
        from qframe_llamacpp.engine import LlamaEngine
        from qframe_llamacpp.native_log import native_log_to

        with native_log_to(self.native_log):
            return LlamaEngine(self.path, n_ctx=self.n_ctx, n_threads=self.n_threads, seed=self.seed, logits_all=logits_all)

    @property
    def native_log(self) -> Path:
        """Where llama.cpp's model-loading log goes (one file per model name, appended)."""
        from qframe.cache import cache_dir

        return cache_dir() / "llama.cpp-logs" / f"{self.path.stem}.log"

    async def _engine_for(self, request: GenerationRequest) -> Any:
        if self._engine is None:
            raise BackendError("llamacpp backend used before open()")
        if request.top_logprobs and not self._engine.logits_all:
            await _on_llama_thread(self._engine.close)
            self._engine = await _on_llama_thread(self._load, True)
        return self._engine

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        async with self._lock:
            engine = await self._engine_for(request)
            result = await _on_llama_thread(
                engine.generate,
                _prompt(request.prompt, request.system, request.chat),
                request.max_tokens,
                request.temperature,
                list(request.stop),
                request.top_logprobs or None,
                request.chat,
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
            return await _on_llama_thread(self._engine.loglikelihood, context, list(continuations))

    async def teacher_force(self, request: TeacherForcedRequest) -> TeacherForcedScores:
        """Score a fixed continuation teacher-forced (see :class:`qframe.protocols.TeacherForcedRequest`).

        The prompt is rendered as :meth:`generate` renders it; the full distribution at every
        position comes from llama.cpp's logits, cut to the requested ids with exact tail masses.
        """
        from qframe.fidelity.rows import scores_from_rows

        def score(engine: Any) -> TeacherForcedScores:
            continuation = request.text if request.tokens is None else list(request.tokens)
            prompt = _prompt(request.prompt, request.system, request.chat)
            tokens, rows = engine.teacher_force(prompt, request.chat, continuation, request.append_end)
            return scores_from_rows(tokens, rows, request)

        async with self._lock:
            if self._engine is None:
                raise BackendError("llamacpp backend used before open()")
            try:
                return await _on_llama_thread(score, self._engine)
            except ValueError as exc:
                raise BackendError(str(exc)) from None

    async def close(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await _on_llama_thread(engine.close)


def _prompt(prompt: str, system: str | None, chat: bool) -> Any:
    """What the engine gets for a prompt: chat messages (with the system turn), or one text."""
    if chat and system:
        return [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
    if system:
        return f"{system}\n\n{prompt}"
    return prompt
