"""Backend ``transformers``: a Hugging Face checkpoint (plain, compressed-tensors GPTQ/AWQ, or a
GGUF file through transformers' GGUF loader) run in-process by PyTorch.

Options (per variant or ladder): ``device`` (default ``cuda`` when available, else ``cpu``),
``dtype`` (default ``float32`` on CPU, ``auto``, i.e. the checkpoint's, elsewhere),
``n_threads`` (PyTorch intra-op threads). Every call runs on one dedicated worker thread, so the
event loop stays free and calls never overlap.

Quantized checkpoints that transformers cannot run with a quantized kernel (compressed-tensors
on CPU, any GGUF) are decompressed into dense layers when loaded: their quality figures are the
checkpoint's, their speed and memory figures are not. ``ModelInfo.details`` records this as
``weights_decompressed`` with a ``kernel_note`` that the report prints beside those columns.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from qframe.plugin_api.errors import BackendError, MissingCapabilityError
from qframe.plugin_api.protocols import (
    BackendSpec,
    GenerationRequest,
    GenerationResult,
    ModelInfo,
    Requirements,
    TeacherForcedRequest,
    TeacherForcedScores,
)

from .checkpoint import locate

MODES = frozenset({"generate", "loglikelihood"})


@functools.cache
def _torch_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="transformers")


async def _on_torch_thread(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(_torch_thread(), functools.partial(function, *args))


class TransformersBackend:
    default_concurrency = 1

    def __init__(self, spec: BackendSpec) -> None:
        options = dict(spec.options)
        self.spec = spec
        self.device = options.get("device")
        self.dtype = options.get("dtype")
        self.n_threads = options.get("n_threads")
        self._engine: Any = None

    async def preflight(self, requirements: Requirements) -> None:
        """The model exists and is a checkpoint transformers reads; the modes are supported."""
        checkpoint = locate(self.spec.model)
        if checkpoint.gguf_file:
            from .checkpoint import weight_stats

            await asyncio.to_thread(weight_stats, checkpoint)  # reads the GGUF header and tensor table
        else:
            checkpoint.config  # noqa: B018 - raises BadInputError when unreadable
        missing = requirements.modes - MODES
        if missing:
            raise MissingCapabilityError(f"backend 'transformers' cannot run task modes {sorted(missing)}")

    async def open(self) -> ModelInfo:
        from .checkpoint import digest, weight_stats

        checkpoint = locate(self.spec.model)
        device, dtype = await asyncio.to_thread(self._device_and_dtype)
        stats, sha, engine = await asyncio.gather(
            asyncio.to_thread(weight_stats, checkpoint),
            asyncio.to_thread(digest, checkpoint),
            _on_torch_thread(self._load, checkpoint, device, dtype),
        )
        self._engine = engine
        details = engine.describe() | {"load_log": str(self.load_log)}
        if stats.quantized_bits_per_weight is not None:
            details["quantized_bits_per_weight"] = stats.quantized_bits_per_weight
            details["quantized_parameters"] = stats.quantized_parameters
        return ModelInfo(
            model=self.spec.model,
            digest=sha,
            quant=self.spec.quant or checkpoint.quant_label,
            engine=f"transformers {details['transformers']} (torch {details['torch']}, {device})",
            size_bytes=stats.size_bytes,
            parameters=stats.parameters,
            bits_per_weight=stats.bits_per_weight,
            details=details,
        )

    def _device_and_dtype(self) -> tuple[str, str]:
        import torch

        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        return device, self.dtype or ("float32" if device == "cpu" else "auto")

    def _load(self, checkpoint: Any, device: str, dtype: str) -> Any:
        from .engine import TransformersEngine
        from .library_output import library_output_to

        with library_output_to(self.load_log):
            return TransformersEngine(checkpoint, device=device, dtype=dtype, n_threads=self.n_threads)

    @property
    def load_log(self) -> Path:
        """Where the progress bars and warnings of loading the model go (one file per model name,
        appended), so they do not cut through the run's progress display."""
        from qframe.data.cache import cache_dir

        return cache_dir() / "transformers-logs" / f"{Path(self.spec.model).name}.log"

    def _require_engine(self) -> Any:
        if self._engine is None:
            raise BackendError("transformers backend used before open()")
        return self._engine

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        engine = self._require_engine()
        result = await _on_torch_thread(
            functools.partial(
                engine.generate,
                request.prompt,
                request.max_tokens,
                temperature=request.temperature,
                seed=request.seed,
                system=request.system,
                stop=request.stop,
                top_logprobs=request.top_logprobs,
                chat=request.chat,
            )
        )
        return GenerationResult(
            text=result.text,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            finish_reason=result.finish_reason,
            prompt_eval_ms=result.ttft_ms,
            eval_ms=result.eval_ms,
            eval_tokens=result.eval_tokens,
            ttft_ms=result.ttft_ms,
            top_logprobs=tuple(result.top_logprobs) if result.top_logprobs else None,
            applied={
                "temperature": request.temperature,
                "seed": request.seed,
                "max_tokens": request.max_tokens,
                "chat_template": request.chat,
                "device": engine.device,
            },
        )

    async def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        engine = self._require_engine()
        return await _on_torch_thread(engine.loglikelihood, context, list(continuations))

    async def teacher_force(self, request: TeacherForcedRequest) -> TeacherForcedScores:
        """Score a fixed continuation teacher-forced (see :class:`qframe.plugin_api.protocols.TeacherForcedRequest`):
        one forward pass over prompt and continuation, cut by :func:`qframe.fidelity.rows.scores_from_rows`."""
        from qframe.fidelity.rows import scores_from_rows

        engine = self._require_engine()

        def score() -> TeacherForcedScores:
            continuation = request.text if request.tokens is None else list(request.tokens)
            tokens, rows = engine.teacher_force(
                request.prompt, request.system, request.chat, continuation, request.append_end
            )
            return scores_from_rows(tokens, rows, request)

        try:
            return await _on_torch_thread(score)
        except ValueError as exc:
            raise BackendError(str(exc)) from None

    async def close(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await _on_torch_thread(engine.close)
