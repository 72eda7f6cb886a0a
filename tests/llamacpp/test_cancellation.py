"""Stopping while llama.cpp works: a cancelled call stops at its next token in the worker, close is
bounded, SIGTERM exits 143 fast."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from qframe.plugin_api.protocols import BackendSpec, GenerationRequest
from qframe_llamacpp.backend import CLOSE_WAIT_S, LlamaCppBackend, _on_llama_thread
from qframe_llamacpp.demo import smollm2_source
from qframe_llamacpp.engine import GenerationAborted, LlamaEngine


@pytest.mark.parametrize("chat", [True, False])
def test_a_set_abort_event_stops_a_generation_and_the_next_one_runs(tiny_model, chat):
    abort = threading.Event()
    abort.set()
    with LlamaEngine(tiny_model, n_ctx=512, seed=1) as engine:
        with pytest.raises(GenerationAborted):
            engine.generate("the cat", max_tokens=200, chat=chat, abort=abort)
        after = engine.generate("the cat", max_tokens=6, chat=chat, abort=threading.Event())
        plain = engine.generate("the cat", max_tokens=6, chat=chat)
    assert after.completion_tokens > 0 and after.text == plain.text


def _long_generation_backend() -> tuple[LlamaCppBackend, GenerationRequest]:
    backend = LlamaCppBackend(BackendSpec("llamacpp", str(smollm2_source()), "Q4_1", options={"n_threads": 2}))
    request = GenerationRequest(prompt="Once upon a time", max_tokens=900, temperature=0.0, seed=1, chat=False)
    return backend, request  # a call of 900 tokens takes well over 10 s on these machines


@pytest.mark.slow
def test_cancelling_a_generation_stops_it_in_the_worker_at_its_next_token():
    async def scenario() -> float:
        backend, request = _long_generation_backend()
        await backend.open()
        try:
            long_call = asyncio.ensure_future(backend.generate(request))
            await asyncio.sleep(1.0)
            assert not long_call.done()
            long_call.cancel()
            await asyncio.gather(long_call, return_exceptions=True)
            started = time.perf_counter()
            scores = await backend.loglikelihood("Once upon", [" a time"])  # queued behind the aborted call
            return time.perf_counter() - started, scores
        finally:
            await backend.close()

    waited, scores = asyncio.run(scenario())
    assert waited < 2.0 and len(scores) == 1  # the worker stopped the generation, it did not finish it


@pytest.mark.slow
def test_close_during_a_call_is_bounded_and_ends_the_worker():
    async def scenario() -> tuple[float, int]:
        backend, request = _long_generation_backend()
        await backend.open()
        worker = backend._engine.pid
        long_call = asyncio.ensure_future(backend.generate(request))
        await asyncio.sleep(1.0)
        started = time.perf_counter()
        await backend.close()
        closing = time.perf_counter() - started
        await asyncio.gather(long_call, return_exceptions=True)
        await _on_llama_thread(lambda: None)  # the queued close has reaped the worker
        return closing, worker

    closing, worker = asyncio.run(scenario())
    assert closing <= CLOSE_WAIT_S + 0.5
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)


@pytest.mark.slow
def test_sigterm_during_a_llamacpp_call_exits_143_within_seconds(tmp_path):
    config = f"""
[experiment]
name = "term"
max_tokens = 900
warmup = 0
chat = false

[[variants]]
id = "smollm2"
backend = "llamacpp"
model = "{smollm2_source()}"
quant = "Q4_1"
options = {{n_threads = 2}}

[[tasks]]
name = "qa"
limit = 3
"""
    (tmp_path / "exp.toml").write_text(config)
    process = subprocess.Popen([sys.executable, "-m", "qframe", "run", "exp.toml", "--run-id", "t", "--no-progress"],
                               cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    manifest = tmp_path / "runs" / "t" / "manifest.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for the model to be open, then for a call in flight
        if manifest.exists() and json.loads(manifest.read_text())["variants"]["smollm2"].get("digest"):
            break
        time.sleep(0.05)
    time.sleep(1.0)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=30)
    elapsed = time.monotonic() - sent
    assert code == 143, process.stderr.read()
    assert elapsed < 6  # the native call is abandoned, not awaited (it alone runs for over 10 s)
    assert json.loads(manifest.read_text())["status"] == "interrupted"
