"""Stopping while llama.cpp works: a cancelled call stops at its next token; SIGTERM exits 143 fast."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time

import pytest

from qframe.protocols import BackendSpec, GenerationRequest
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


@pytest.mark.slow
def test_cancelling_a_generation_stops_the_native_call_early_and_close_is_bounded(monkeypatch):
    finished = []
    original = LlamaEngine.generate

    def recording(self, *args, **kwargs):
        try:
            finished.append(original(self, *args, **kwargs))
        except GenerationAborted as exc:
            finished.append(exc)
            raise
        return finished[-1]

    monkeypatch.setattr(LlamaEngine, "generate", recording)

    async def scenario() -> float:
        backend = LlamaCppBackend(BackendSpec("llamacpp", str(smollm2_source()), "Q4_1", options={"n_threads": 2}))
        await backend.open()
        request = GenerationRequest(prompt="Once upon a time", max_tokens=900, temperature=0.0, seed=1, chat=False)
        long_call = asyncio.ensure_future(backend.generate(request))
        await asyncio.sleep(1.0)  # a call of 900 tokens takes well over 10 s on this machine
        assert not long_call.done()
        long_call.cancel()
        await asyncio.gather(long_call, return_exceptions=True)
        started = time.perf_counter()
        await backend.close()
        closing = time.perf_counter() - started
        await _on_llama_thread(lambda: None)  # runs once the in-flight generation has returned
        return closing

    closing = asyncio.run(scenario())
    assert closing <= CLOSE_WAIT_S + 0.5
    [aborted] = finished
    assert isinstance(aborted, GenerationAborted)


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
