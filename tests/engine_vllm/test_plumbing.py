"""The vllm backend's parts that need no engine: batching, finding the interpreter, the worker pipe."""

from __future__ import annotations

import asyncio
import sys

import pytest

from qframe.errors import BackendError, MissingDependencyError
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
                await worker.ask("open", model="m", options={}, seed=1, max_logprobs=0)
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
