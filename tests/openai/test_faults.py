"""Runs on backend ``openai`` under faults, against the real llama.cpp server on 127.0.0.1.

A proxy in front of the server answers 500 or 429, cuts bodies short, sends garbled JSON or
stalls past the request timeout; the server itself is killed mid-run and restarted. Every item
must end done or stored with its error, ``resume`` must complete the ones with errors, and no
item may be stored twice as done. Request counts and durations are bounded.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from qframe.plugin_api.errors import RunStateError
from qframe.run.session import _record_model, execute, open_session

from tests.openai.conftest import openai_variant
from tests.openai.fault_proxy import FaultProxy
from tests.openai.llama_server import LlamaServer

pytestmark = pytest.mark.network

ITEMS = 6


def experiment(server_url: str, model: str = "tiny-q8_0", retry: dict | None = None, **options) -> dict:
    return {
        "experiment": {"name": "faults", "max_tokens": 8, "warmup": 0, "timeout_s": 30},
        "variants": [openai_variant(server_url, model, **options)],
        "tasks": [{"name": "mock", "limit": ITEMS}],
        "reports": ["matrix"],
        "analysis": {"bootstrap_resamples": 200},
        "retry": {"attempts": 3, "base_delay_s": 0.05, "max_delay_s": 0.2} | (retry or {}),
    }


def done_rows_per_key(run_dir: Path) -> Counter:
    """How many rows without an error every key has in the raw store (before deduplication)."""
    rows = ds.dataset(str(run_dir / "generations"), format="parquet").to_table().to_pylist()
    return Counter((r["variant"], r["task"], r["sample_id"], r["repetition"]) for r in rows if r["error"] is None)


def test_500_429_truncated_and_garbled_replies_are_retried_to_completion(host, run_experiment, tiny_server):
    faults = ["500", "429", "truncate", "garbage", "pass", "truncate"]
    with FaultProxy(tiny_server.url, faults) as proxy:
        session, outcome = run_experiment(host, experiment(proxy.url))
    rows = session.store.read("generations").to_pylist()
    assert outcome.exit_code == 0 and len(rows) == ITEMS and all(r["error"] is None and r["text"] for r in rows)
    assert sum(r["attempts"] - 1 for r in rows) == 5  # one retry per injected fault
    assert [fault for _, fault in proxy.posts[:6]] == faults and len(proxy.posts) == ITEMS + 5
    assert set(done_rows_per_key(session.path).values()) == {1}


def test_a_reply_slowed_past_the_timeout_is_retried(host, run_experiment, tiny_server):
    with FaultProxy(tiny_server.url, ["slow"], slow_s=8.0) as proxy:
        session, outcome = run_experiment(host, experiment(proxy.url, timeout_s=2.0))
    rows = session.store.read("generations").to_pylist()
    assert outcome.exit_code == 0 and all(r["error"] is None for r in rows)
    assert max(r["attempts"] for r in rows) >= 2  # the slowed request timed out and was sent again
    assert len(proxy.posts) == sum(r["attempts"] for r in rows)


def test_persistent_failures_are_stored_with_their_error_and_resume_completes_them(host, run_experiment, tiny_server):
    attempts = 3
    with FaultProxy(tiny_server.url, ["500", "429"] * (ITEMS * attempts // 2)) as proxy:
        session, outcome = run_experiment(host, experiment(proxy.url))
        rows = session.store.read("generations").to_pylist()
        assert outcome.exit_code == 1 and len(rows) == ITEMS
        assert all(r["error"].startswith("TransientBackendError") and r["attempts"] == attempts for r in rows)
        assert any("HTTP 500" in r["error"] for r in rows) and any("HTTP 429" in r["error"] for r in rows)
        resumed = asyncio.run(execute(open_session(session.path, host), progress=False))
    assert resumed.exit_code == 0 and resumed.completed == ITEMS
    assert all(r["error"] is None for r in session.store.read("generations").to_pylist())
    assert set(done_rows_per_key(session.path).values()) == {1}
    assert len(proxy.posts) == ITEMS * attempts + ITEMS


def test_server_killed_mid_run_and_restarted(host, run_experiment, tiny_models, tmp_path):
    """The server is killed (SIGKILL) as the third request reaches it; items that exhaust their
    retries while it is down are stored with their error, and ``resume`` completes them once the
    server is back. The kill is synchronous with that request, so the outcome does not depend on
    how fast the model answers."""
    server = LlamaServer(tiny_models["Q8_0"], "tiny-q8_0", log=tmp_path / "server.log").start()

    def crash_at(index: int) -> None:
        if index == 2:
            server.kill()

    try:
        with FaultProxy(server.url, on_post=crash_at) as proxy:
            session, outcome = run_experiment(host, experiment(proxy.url, retry={"attempts": 2}))
            rows = session.store.read("generations").to_pylist()
            assert len(rows) == ITEMS and outcome.exit_code == 1
            failed = [r for r in rows if r["error"] is not None]
            assert failed and all("connect" in r["error"].lower() for r in failed)
            server.start()
            resumed = asyncio.run(execute(open_session(session.path, host), progress=False))
        assert resumed.exit_code == 0 and resumed.completed == len(failed)
        assert all(r["error"] is None for r in session.store.read("generations").to_pylist())
        assert set(done_rows_per_key(session.path).values()) == {1}
    finally:
        server.stop()


def test_resume_compares_the_recorded_identity(host, run_experiment, tiny_server):
    """The digest recorded by the run is found again when the model opens; a different recorded
    identity (another model behind the name) is refused."""
    session, _ = run_experiment(host, experiment(tiny_server.url))
    variant = session.experiment.resolved_variants()[0]

    async def identity():
        backend = session.variant_backend(variant)
        try:
            return await backend.open()
        finally:
            await backend.close()

    info = asyncio.run(identity())
    assert info.digest == session.manifest["variants"][variant.id]["digest"]
    _record_model(session, variant, info, {})  # the same identity passes
    session.manifest["variants"][variant.id]["digest"] = "0" * 64  # as if recorded from another model
    with pytest.raises(RunStateError, match="model digest changed since the run started"):
        _record_model(session, variant, info, {})