"""Killed and interrupted runs: resume finishes them with exactly the uninterrupted result."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

CONFIG = """
[experiment]
name = "killme"
max_tokens = 16
warmup = 0

[ladder]
backend = "mock"
model = "tiny-{quant}"
quants = ["F16", "Q8_0", "Q4_K_M", "Q2_K"]
options = {latency_s = 0.02}

[[tasks]]
name = "mock"
limit = 100

[schedule]
mode = "round_robin"
block_size = 8

[concurrency]
mock = 2

[store]
flush_rows = 4
flush_interval_s = 0.05
"""


def _start(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qframe", *args, "--no-progress"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rows(run_dir: Path) -> list[dict]:
    from qframe_store_arrow.store import ArrowRunStore

    return ArrowRunStore(run_dir).read("generations").to_pylist()


def _raw_keys(run_dir: Path) -> list[tuple]:
    keys = []
    for part in sorted((run_dir / "generations").glob("part-*.parquet")):
        for row in pq.read_table(part, columns=["variant", "task", "sample_id", "repetition", "error"]).to_pylist():
            if row["error"] is None:
                keys.append((row["variant"], row["task"], row["sample_id"], row["repetition"]))
    return keys


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_equals_an_uninterrupted_run(tmp_path):
    (tmp_path / "exp.toml").write_text(CONFIG)
    reference = _start("run", "exp.toml", "--run-id", "reference", cwd=tmp_path)
    assert reference.wait(timeout=120) == 0, reference.stderr.read()

    rng = random.Random(20261125)
    run_dir = tmp_path / "runs" / "killed"
    kills = 0
    process = _start("run", "exp.toml", "--run-id", "killed", cwd=tmp_path)
    while not (run_dir / "manifest.json").exists():  # kill points fall after the run exists
        time.sleep(0.01)
    while kills < 5:
        time.sleep(rng.uniform(0.3, 0.9))
        if process.poll() is not None:
            break  # finished before the kill: resume below still has to agree
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        process = _start("resume", str(run_dir), cwd=tmp_path)
    assert kills == 5, "runs finished too fast to be killed five times"
    assert process.wait(timeout=120) == 0, process.stderr.read()

    expected = {(r["variant"], r["sample_id"]): r["text"] for r in _rows(tmp_path / "runs" / "reference")}
    got_rows = _rows(run_dir)
    got = {(r["variant"], r["sample_id"]): r["text"] for r in got_rows}
    assert len(got_rows) == len(expected) == 400
    assert got == expected
    raw = _raw_keys(run_dir)
    assert len(raw) == len(set(raw)) == 400  # nothing done twice, nothing missing
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.slow
def test_ctrl_c_flushes_completed_items_and_exits_130(tmp_path):
    (tmp_path / "exp.toml").write_text(CONFIG)
    process = _start("run", "exp.toml", "--run-id", "interrupted", cwd=tmp_path)
    parts = tmp_path / "runs" / "interrupted" / "generations"
    deadline = time.monotonic() + 60
    while not (parts.exists() and any(parts.glob("part-*.parquet"))) and time.monotonic() < deadline:
        time.sleep(0.02)  # interrupt once items are being written
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    stderr = process.stderr.read()
    assert "qframe resume" in stderr and "Traceback" not in stderr
    run_dir = tmp_path / "runs" / "interrupted"
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
    flushed = len(_rows(run_dir))
    assert 0 < flushed < 400
    resumed = _start("resume", str(run_dir), cwd=tmp_path)
    assert resumed.wait(timeout=120) == 0
    assert len(_rows(run_dir)) == 400


@pytest.mark.slow
def test_sigterm_behaves_like_ctrl_c_and_exits_143(tmp_path):
    (tmp_path / "exp.toml").write_text(CONFIG)
    process = _start("run", "exp.toml", "--run-id", "terminated", cwd=tmp_path)
    parts = tmp_path / "runs" / "terminated" / "generations"
    deadline = time.monotonic() + 60
    while not (parts.exists() and any(parts.glob("part-*.parquet"))) and time.monotonic() < deadline:
        time.sleep(0.02)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 143
    assert time.monotonic() - sent < 6  # a few seconds, even on a loaded shared machine
    stderr = process.stderr.read()
    assert "qframe resume" in stderr and "Traceback" not in stderr
    run_dir = tmp_path / "runs" / "terminated"
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
    assert 0 < len(_rows(run_dir)) < 400
    resumed = _start("resume", str(run_dir), cwd=tmp_path)
    assert resumed.wait(timeout=120) == 0
    assert len(_rows(run_dir)) == 400
