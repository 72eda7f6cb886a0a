"""A run never loses or mixes rows: full disk, a second writer, plugin upgrades on resume."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket

import pyarrow.parquet as pq
import pytest

from qframe.config import structure_experiment
from qframe.plugin_api.errors import RunLockedError, StoreWriteError
from qframe.run.runlock import LOCK_FILE, RunLock, run_lock
from qframe.run.runner import RowSink
from qframe.run.session import EXIT_OK, execute, new_session, open_session
from qframe_store_arrow.store import ArrowRunStore

CONFIG = {
    "experiment": {"name": "integrity", "max_tokens": 8, "warmup": 0},
    "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": ["F16", "Q4_K_M"]},
    "tasks": [{"name": "mock", "limit": 50}],
    "store": {"flush_rows": 10, "flush_interval_s": 60.0},
}


class FailingStore:
    """Stands for a store whose N-th append fails like a full disk."""

    def __init__(self, fail_on: int) -> None:
        self.calls = 0
        self.fail_on = fail_on
        self.written: list[list[dict]] = []
        self.path = None

    def append(self, table, rows):
        self.calls += 1
        if self.calls == self.fail_on:
            raise StoreWriteError("generations: cannot write: No space left on device")
        self.written.append(list(rows))


def test_row_sink_keeps_rows_until_the_store_has_written_them():
    store = FailingStore(fail_on=2)
    sink = RowSink(store, "generations", flush_rows=2, flush_interval_s=60)
    sink.add({"n": 1})
    sink.add({"n": 2})  # first flush succeeds
    sink.add({"n": 3})
    with pytest.raises(StoreWriteError):
        sink.add({"n": 4})  # second flush fails: rows 3 and 4 stay buffered
    assert sink.pending == 2
    sink.flush()
    assert store.written == [[{"n": 1}, {"n": 2}], [{"n": 3}, {"n": 4}]] and sink.pending == 0


def _fail_nth_generations_append(monkeypatch, nth: int) -> None:
    """From the ``nth`` generations part on, writing fails like a full disk (ENOSPC)."""
    from qframe_store_arrow import store as store_module

    real_write = store_module._write_synced
    calls = {"generations": 0}

    def write(data, path):
        if path.parent.name == "generations":
            calls["generations"] += 1
            if calls["generations"] >= nth:
                with open(path, "wb") as handle:
                    handle.write(b"half a part")  # the store must clean this up
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(data, path)

    monkeypatch.setattr(store_module, "_write_synced", write)


def test_full_disk_stops_the_run_keeps_flushed_rows_and_resume_completes(host, tmp_path, monkeypatch):
    _fail_nth_generations_append(monkeypatch, nth=4)
    session = new_session(structure_experiment(CONFIG), host, tmp_path / "runs", "full")
    with pytest.raises(StoreWriteError) as failure:
        asyncio.run(execute(session, progress=False))
    message = str(failure.value)
    assert "No space left on device" in message and "qframe resume" in message and "\n" not in message
    monkeypatch.undo()
    stored = ArrowRunStore(session.path).read("generations").num_rows
    assert stored == 30  # the three appends that succeeded, intact
    assert json.loads((session.path / "manifest.json").read_text())["status"] == "failed"
    assert not (session.path / LOCK_FILE).exists()
    assert not list((session.path / "generations").glob(".*"))  # no half-written temporary part

    resumed = open_session(session.path, host)
    outcome = asyncio.run(execute(resumed, progress=False))
    assert outcome.exit_code == EXIT_OK and outcome.completed == 100 - 30
    keys = [
        (row["variant"], row["sample_id"])
        for part in sorted((session.path / "generations").glob("part-*.parquet"))
        for row in pq.read_table(part, columns=["variant", "sample_id"]).to_pylist()
    ]
    assert len(keys) == len(set(keys)) == 100  # nothing lost, nothing written twice


def test_full_disk_in_the_cli_is_one_line_and_exit_1(cli, write_config, tmp_path, monkeypatch):
    _fail_nth_generations_append(monkeypatch, nth=1)
    path = write_config(
        """
        [experiment]
        name = "cli-full"
        warmup = 0
        [ladder]
        backend = "mock"
        model = "m-{quant}"
        quants = ["F16", "Q4_0"]
        [[tasks]]
        name = "mock"
        limit = 5
        """
    )
    code, _, err = cli("run", str(path), "--out", str(tmp_path / "runs"), "--run-id", "r", "--no-progress")
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("qframe: error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0] and "Traceback" not in err


# -- the run lock -----------------------------------------------------------------------------


def test_a_second_writer_is_refused_with_the_owner_named(tmp_path):
    with run_lock(tmp_path, "resume"):
        with pytest.raises(RunLockedError) as refused:
            RunLock(tmp_path, "rescore").acquire()
    message = str(refused.value)
    assert f"pid {os.getpid()} on {socket.gethostname()}" in message and "'qframe resume'" in message
    assert not (tmp_path / LOCK_FILE).exists()  # released
    with run_lock(tmp_path, "rescore"):
        pass


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": 999999, "host": socket.gethostname(), "command": "run"}))
    with run_lock(tmp_path, "resume"):
        owner = json.loads((tmp_path / LOCK_FILE).read_text())
        assert owner["pid"] == os.getpid() and owner["command"] == "resume"


def test_a_lock_recorded_by_another_host_is_never_taken_over(tmp_path):
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": 12, "host": "elsewhere", "command": "run"}))
    with pytest.raises(RunLockedError, match=r"pid 12 on elsewhere.*delete .*\.qframe\.lock"):
        RunLock(tmp_path, "resume").acquire()


def test_commands_that_write_a_run_refuse_while_another_holds_it(host, run_experiment, cli):
    session, outcome = run_experiment(host, CONFIG)
    assert outcome.exit_code == EXIT_OK
    with run_lock(session.path, "resume"):
        for command in ("resume", "rescore", "report"):
            code, _, err = cli(command, str(session.path), "--no-progress") if command == "resume" else cli(
                command, str(session.path)
            )
            assert code == 2, (command, err)
            assert err.strip().count("\n") == 0 and "is being written by 'qframe resume'" in err
        code, _, err = cli("rejudge", str(session.path), "--judge", "refusal", "--plugin", "regex_refusal")
        assert code == 2 and "is being written by" in err
        with pytest.raises(RunLockedError):
            asyncio.run(execute(open_session(session.path, host), progress=False))


# -- provenance across resumes ----------------------------------------------------------------


def test_resume_keeps_the_history_of_plugin_versions(host, tmp_path, monkeypatch):
    config = CONFIG | {"tasks": [{"name": "mock", "limit": 10}]}
    session = new_session(structure_experiment(config), host, tmp_path / "runs", "hist")
    created_with = dict(session.manifest["plugins"])
    asyncio.run(execute(session, progress=False))
    first_rows = ArrowRunStore(session.path).read("generations").num_rows

    upgraded = {name: "99.0" for name in created_with}
    monkeypatch.setattr(type(host), "versions", lambda self: upgraded)
    reopened = open_session(session.path, host)
    asyncio.run(execute(reopened, progress=False))

    manifest = json.loads((session.path / "manifest.json").read_text())
    assert manifest["plugins"] == created_with  # the versions the run was created with stay
    history = manifest["history"]
    assert [entry["command"] for entry in history] == ["run", "resume"]
    assert history[0]["plugins"] == created_with and history[1]["plugins"] == upgraded
    assert history[0]["first_parts"]["generations"] == 0
    assert history[1]["first_parts"]["generations"] == len(list((session.path / "generations").glob("part-*"))) > 0
    assert first_rows == 20
