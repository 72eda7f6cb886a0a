"""A run whose writer died (killed, crashed) reads as died, not running, in ls, report and resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

CONFIG = """
[experiment]
name = "dies"
max_tokens = 8
warmup = 0

[ladder]
backend = "mock"
model = "tiny-{quant}"
quants = ["F16", "Q4_K_M"]
options = {latency_s = 0.05}

[[tasks]]
name = "mock"
limit = 200

[store]
flush_rows = 2
flush_interval_s = 0.05
"""


def _qframe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qframe", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _wait_for_rows(run_dir: Path, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if list((run_dir / "generations").glob("part-*.parquet")):
            return
        time.sleep(0.05)
    raise AssertionError("the run wrote no rows")


def test_a_live_writer_is_running_and_a_killed_one_is_died_until_resumed(tmp_path):
    (tmp_path / "exp.toml").write_text(CONFIG)
    writer = subprocess.Popen([sys.executable, "-m", "qframe", "run", "exp.toml", "--run-id", "r", "--no-progress"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_dir = tmp_path / "runs" / "r"
    try:
        _wait_for_rows(run_dir)
        live = _qframe("ls", cwd=tmp_path)
        assert live.returncode == 0
        assert f"r  running (by 'qframe run' (pid {writer.pid} on" in live.stdout
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "running"

    listed = _qframe("ls", cwd=tmp_path)
    assert f"r  died ('qframe run' (pid {writer.pid} on" in listed.stdout and "ended without finishing" in listed.stdout

    report = _qframe("report", str(run_dir), cwd=tmp_path)
    assert report.returncode == 0
    assert f"died ('qframe run' (pid {writer.pid}" in report.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "died" and manifest["history"][0]["ended"] == "died"
    assert "run status: died; finish it with: qframe resume" in report.stderr
    assert "r  died" in _qframe("ls", cwd=tmp_path).stdout

    resumed = _qframe("resume", str(run_dir), "--no-progress", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "r  complete  400 items, 0 errors" in _qframe("ls", cwd=tmp_path).stdout


def test_ls_of_a_missing_folder_is_one_line(tmp_path):
    done = _qframe("ls", "nowhere", cwd=tmp_path)
    assert done.returncode == 2 and "nowhere is not a folder" in done.stderr
