"""A native crash in one variant's llama.cpp worker: stored with its items, the rest of the ladder runs."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

pytest.importorskip("llama_cpp")

from qframe.plugin_api.errors import EngineCrashedError  # noqa: E402
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest  # noqa: E402
from qframe.run.session import execute, open_session  # noqa: E402
from qframe_llamacpp.backend import LlamaCppBackend  # noqa: E402
from qframe_llamacpp.engine_worker import TEST_CRASH_ENV  # noqa: E402

CRASH = "engine crashed: signal 11 in llama.cpp"


def _request() -> GenerationRequest:
    return GenerationRequest(prompt="the cat", max_tokens=4, temperature=0.0, seed=1)


def test_a_crashed_worker_fails_its_calls_with_the_signal_and_stays_failed(tiny_variant, monkeypatch):
    path = tiny_variant("Q8_0")
    monkeypatch.setenv(TEST_CRASH_ENV, f"{path.name}:2")

    async def scenario():
        backend = LlamaCppBackend(BackendSpec("llamacpp", str(path), "Q8_0", 42, {"n_threads": 1}))
        await backend.open()
        try:
            first = await backend.generate(_request())
            failures = []
            for call in (lambda: backend.generate(_request()), lambda: backend.loglikelihood("the", [" cat"])):
                with pytest.raises(EngineCrashedError) as caught:
                    await call()
                failures.append(str(caught.value))
            return first, failures
        finally:
            await backend.close()

    first, failures = asyncio.run(scenario())
    assert first.completion_tokens > 0
    assert all(message.startswith(CRASH) and "SIGSEGV" in message for message in failures)
    assert failures[0] == failures[1]  # the later call is told the same cause, without a new worker


def _ladder_config(tiny_variant) -> dict:
    paths = {quant: tiny_variant(quant) for quant in ("Q8_0", "Q4_0")}
    return {
        "experiment": {"name": "crash", "max_tokens": 4, "warmup": 0},
        "variants": [
            {"id": "F16", "backend": "llamacpp", "model": str(tiny_variant("F16")), "quant": "F16", "baseline": True,
             "options": {"n_threads": 1}},
            *({"id": quant, "backend": "llamacpp", "model": str(path), "quant": quant, "options": {"n_threads": 1}}
              for quant, path in paths.items()),
        ],
        "tasks": [{"name": "mock", "limit": 4}, {"name": "mock", "id": "mc", "limit": 4, "options": {"mode": "loglikelihood"}}],
        "reports": ["markdown"],
    }


def test_one_crashed_rung_leaves_the_others_complete_and_resume_completes_it(tiny_variant, host, run_experiment, monkeypatch):
    config = _ladder_config(tiny_variant)
    monkeypatch.setenv(TEST_CRASH_ENV, f"{tiny_variant('Q8_0').name}:3")

    session, outcome = run_experiment(host, config)

    assert outcome.exit_code == 1
    rows = session.store.read("generations").to_pylist()
    keys = Counter((r["variant"], r["task"], r["sample_id"], r["repetition"]) for r in rows)
    assert len(keys) == 24 and set(keys.values()) == {1}  # every item stored once, none dropped
    by_variant = {v: [r for r in rows if r["variant"] == v] for v in ("F16", "Q8_0", "Q4_0")}
    assert all(r["error"] is None for v in ("F16", "Q4_0") for r in by_variant[v])
    crashed = by_variant["Q8_0"]
    assert sum(r["error"] is None for r in crashed) == 2  # the two calls before the crash
    assert all(CRASH in r["error"] for r in crashed if r["error"] is not None)
    manifest = json.loads((session.path / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["counts"]["errors"] == 6
    report = (session.path / "report.md").read_text()
    assert "## Failed items" in report and "| Q8_0 | 6 of 8 |" in report and CRASH in report

    monkeypatch.delenv(TEST_CRASH_ENV)
    resumed = open_session(session.path, host)
    again = asyncio.run(execute(resumed, progress=False))

    assert again.exit_code == 0 and again.completed == 6
    rows = resumed.store.read("generations").to_pylist()
    assert len(rows) == 24 and all(r["error"] is None for r in rows)
    assert json.loads((session.path / "manifest.json").read_text())["status"] == "complete"
    assert "## Failed items" not in (session.path / "report.md").read_text()


@pytest.mark.parametrize("when", ["0", "1"], ids=["while loading", "in the warm-up call"])
def test_a_worker_that_crashes_on_opening_fails_the_variant_not_the_run(when, tiny_variant, host, run_experiment, monkeypatch):
    config = _ladder_config(tiny_variant)
    monkeypatch.setenv(TEST_CRASH_ENV, f"{tiny_variant('Q4_0').name}:{when}")
    config["experiment"]["warmup"] = 1

    session, outcome = run_experiment(host, config)

    assert outcome.exit_code == 1
    rows = session.store.read("generations").to_pylist()
    failed = [r for r in rows if r["error"] is not None]
    assert {r["variant"] for r in failed} == {"Q4_0"} and len(failed) == 8
    assert all(CRASH in r["error"] for r in failed)
    assert all(r["error"] is None for r in rows if r["variant"] != "Q4_0")
