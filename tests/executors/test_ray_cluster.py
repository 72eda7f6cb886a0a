"""The ray executor on a real local Ray cluster of several nodes (loopback, small object stores).

One cluster serves the module: a head node with one CPU and a worker node with three. Every
variant asks for one CPU, so variants run on both nodes at once and queue for free slots.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import ray
from ray.cluster_utils import Cluster

from qframe.config import structure_experiment
from qframe.run.session import EXIT_OK, execute, new_session, open_session

pytestmark = pytest.mark.slow

QUANTS = ["F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_S", "Q2_K"]
OBJECT_STORE = 80 * 1024 * 1024
COMPARED = ("variant", "task", "sample_id", "repetition", "text", "prompt_tokens", "completion_tokens", "error",
            "finish_reason", "attempts")


def ladder(address: str | None, items: int = 200, latency_s: float = 0.0, **executor) -> dict:
    config = {
        "experiment": {"name": "ray-ladder", "max_tokens": 16, "warmup": 0},
        "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": QUANTS, "options": {"latency_s": latency_s}},
        "tasks": [{"name": "mock", "limit": items}],
        "store": {"flush_rows": 50, "flush_interval_s": 0.2},
    }
    if address is not None:
        config["executor"] = {"name": "ray", "address": address, "resources_per_variant": {"CPU": 1}} | executor
    return config


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "object_store_memory": OBJECT_STORE, "include_dashboard": False},
    )
    cluster.add_node(num_cpus=3, object_store_memory=OBJECT_STORE)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, namespace="qframe", log_to_driver=False, configure_logging=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def _records(run_dir: Path) -> list[tuple]:
    from qframe_store_arrow.store import ArrowRunStore

    rows = ArrowRunStore(run_dir).read("generations").to_pylist()
    return sorted(tuple(row[column] for column in COMPARED) for row in rows)


def _raw_keys(run_dir: Path) -> list[tuple]:
    return [
        (row["variant"], row["sample_id"])
        for part in (run_dir / "generations").glob("part-*.parquet")
        for row in pq.read_table(part, columns=["variant", "sample_id"]).to_pylist()
    ]


def test_mock_ladder_of_8_variants_gives_the_records_of_the_local_executor(cluster, host, run_experiment):
    local, local_outcome = run_experiment(host, ladder(None), run_id="local")
    remote, remote_outcome = run_experiment(host, ladder(cluster.address), run_id="ray")
    assert local_outcome.exit_code == remote_outcome.exit_code == EXIT_OK
    assert remote_outcome.completed == 8 * 200
    assert _records(remote.path) == _records(local.path)
    assert len(_raw_keys(remote.path)) == 1600  # every key written once
    placements = {vid: facts["placement"] for vid, facts in remote.manifest["variants"].items()}
    assert set(placements) == set(QUANTS)
    assert all(p["executor"] == "ray" and p["node_id"] and p["hardware"].startswith("CPU") for p in placements.values())
    assert len({p["node_id"] for p in placements.values()}) == 2  # both nodes ran variants
    assert all("ray" in p["versions"] and "qframe" in p["versions"] for p in placements.values())


def test_llamacpp_backend_runs_a_real_variant_on_a_ray_worker(cluster, host, run_experiment, tmp_path):
    from qframe_llamacpp.tiny_model import write_tiny_llama

    model = write_tiny_llama(tmp_path / "tiny.gguf")
    config = {
        "experiment": {"name": "ray-llama", "max_tokens": 8, "warmup": 0},
        "variants": [{"id": "F32", "backend": "llamacpp", "model": str(model), "quant": "F32"}],
        "tasks": [{"name": "mock", "limit": 4}],
        "executor": {"name": "ray", "address": cluster.address, "resources_per_variant": {"CPU": 1}},
    }
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == EXIT_OK
    rows = session.store.read("generations").to_pylist()
    assert len(rows) == 4 and all(row["completion_tokens"] > 0 and row["eval_ms"] is not None for row in rows)
    facts = session.manifest["variants"]["F32"]
    assert facts["engine"].startswith("llama.cpp via llama-cpp-python")
    assert facts["placement"]["engine"] == facts["engine"] and facts["placement"]["node_id"]


def test_a_killed_driver_leaves_a_run_that_resume_finishes_without_duplicates(cluster, tmp_path):
    config = ladder(cluster.address, items=100, latency_s=0.05)
    (tmp_path / "exp.toml").write_text(_toml(config))
    env = os.environ | {"RAY_ADDRESS": cluster.address}
    driver = subprocess.Popen([sys.executable, "-m", "qframe", "run", "exp.toml", "--run-id", "d", "--no-progress"],
                              cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    parts = tmp_path / "runs" / "d" / "generations"
    deadline = time.monotonic() + 120
    while len(list(parts.glob("part-*.parquet"))) < 3 and time.monotonic() < deadline:
        assert driver.poll() is None, driver.stderr.read()
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    written = len(_raw_keys(tmp_path / "runs" / "d"))
    assert 0 < written < 800
    resumed = subprocess.run([sys.executable, "-m", "qframe", "resume", "runs/d", "--no-progress"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    keys = _raw_keys(tmp_path / "runs" / "d")
    assert len(keys) == len(set(keys)) == 800
    assert json.loads((tmp_path / "runs" / "d" / "manifest.json").read_text())["status"] == "complete"


def test_a_node_killed_mid_run_still_yields_a_complete_run(cluster, host, tmp_path):
    """Runs last: it removes the worker node; the head node finishes what it was running."""
    session = new_session(structure_experiment(ladder(cluster.address, items=60, latency_s=0.3)), host,
                          tmp_path / "runs", "node-killed")
    head_id = ray.get_runtime_context().get_node_id()
    victims = [node for node in cluster.worker_nodes]
    killed = threading.Event()

    def kill_when_a_variant_runs_on_the_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            manifest = json.loads((session.path / "manifest.json").read_text())
            placed = [v.get("placement", {}).get("node_id") for v in manifest["variants"].values()]
            if any(node and node != head_id for node in placed):
                time.sleep(0.6)  # let it stream some rows first
                for node in victims:
                    cluster.remove_node(node, allow_graceful=False)
                killed.set()
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_when_a_variant_runs_on_the_worker)
    killer.start()
    outcome = asyncio.run(execute(session, progress=False))
    killer.join()
    assert killed.is_set()
    assert outcome.exit_code == EXIT_OK
    keys = _raw_keys(session.path)
    assert len(keys) == len(set(keys)) == 8 * 60  # rescheduled keys were not written twice
    manifest = json.loads((session.path / "manifest.json").read_text())
    moved = [vid for vid, facts in manifest["variants"].items() if len(facts["placements"]) > 1]
    assert moved  # at least one variant was rescheduled to another node
    assert all(facts["placement"]["node_id"] == head_id for vid, facts in manifest["variants"].items() if vid in moved)
    reopened = open_session(session.path, host)
    assert reopened.store.read("generations").num_rows == 480


def _toml(config: dict) -> str:
    """A minimal TOML writer for the test's flat config (tomllib cannot write)."""
    lines = []

    def value(v):
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v)

    for section, body in config.items():
        if isinstance(body, list):
            for entry in body:
                lines.append(f"[[{section}]]")
                lines.extend(f"{k} = {value(v)}" for k, v in entry.items())
        else:
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {value(v)}" for k, v in body.items())
    return "\n".join(lines) + "\n"


def test_a_run_that_stops_when_decided_starts_no_worker_for_a_stopped_variant(cluster, host, run_experiment):
    """Each look hands Ray only the variants still drawing: the stops, looks and rows equal the
    local executor's, and a stopped variant has no row beyond its stop."""

    def stopping_ladder(address: str | None) -> dict:
        config = ladder(address)
        config["tasks"] = [{"name": "mock", "options": {"n": 600, "mode": "loglikelihood"}}]
        config["schedule"] = {"mode": "round_robin", "stop": "decided", "block_size": 100, "decide": ["quality_tier"]}
        config["analysis"] = {"benchmark_metric": "accuracy_raw"}
        return config

    local, _ = run_experiment(host, stopping_ladder(None), run_id="local-stops")
    remote, outcome = run_experiment(host, stopping_ladder(cluster.address), run_id="ray-stops")
    assert outcome.exit_code == EXIT_OK
    assert remote.manifest["sequential"]["stopped"] == local.manifest["sequential"]["stopped"]
    assert _records(remote.path) == _records(local.path)
    stops = remote.manifest["sequential"]["stopped"]
    early = [vid for vid, stop in stops.items() if stop["look"] < 6]
    assert early  # at least one variant stopped before the pool ran out
    counts = {vid: sum(1 for key in _raw_keys(remote.path) if key[0] == vid) for vid in QUANTS}
    for vid in early:
        assert counts[vid] == stops[vid]["units"] < 600
