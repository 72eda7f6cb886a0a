"""Benchmarks by name: the canonical export fetched from a hub at a pinned commit (a loopback
server that speaks the hub's file API, never the real hub), cached, recorded, and checked on resume."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pyarrow
import pyarrow.parquet
import pytest

from qframe.plugin_api.errors import BadInputError
from qframe_tasks_benchmarks.hub import EXPORTS
from qframe_tasks_benchmarks.task import BENCHMARKS, BenchmarkTask

ARC = EXPORTS["arc_challenge"]
ROWS = [
    {"id": f"Q{index}", "question": f"Which is item {index}?",
     "choices": {"text": [f"a{index}", f"b{index}", f"c{index}"], "label": ["A", "B", "C"]}, "answerKey": "B"}
    for index in range(6)
]


def parquet_bytes(rows: list[dict]) -> bytes:
    out = io.BytesIO()
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), out)
    return out.getvalue()


def file_requests(hub_server) -> list[str]:
    """The file-API requests the hub saw (huggingface_hub also asks for other things)."""
    return [path for _, path in hub_server.requests if "/resolve/" in path]


def mock_ladder(runs: Path, tasks: str) -> str:
    """A two-rung mock ladder config writing into ``runs``, with the ``[[tasks]]`` tables given."""
    return f"""
        [experiment]
        name = "hub"
        output_dir = "{runs}"
        max_tokens = 8

        [ladder]
        backend = "mock"
        model = "tiny-{{quant}}"
        quants = ["F16", "Q4_K_M"]
        baseline = "F16"
    """ + tasks


def arc_task(**options) -> BenchmarkTask:
    return BenchmarkTask(next(b for b in BENCHMARKS if b.name == "arc_challenge"), options)


def test_a_benchmark_without_a_source_reads_its_pinned_export_once(hub_server):
    content = parquet_bytes(ROWS)
    hub_server.put(ARC.repo, ARC.revision, ARC.filename, content)
    hub_server.put(ARC.repo, "main", ARC.filename, parquet_bytes(ROWS[:2]))  # a later edit upstream

    task = arc_task()
    samples = task.samples(None, seed=0)

    assert len(samples) == 6  # the pinned commit's rows, not main's
    assert set(file_requests(hub_server)) == {f"/datasets/{ARC.repo}/resolve/{ARC.revision}/{ARC.filename}"}

    assert task.provenance == {
        "source": "hub", "origin": ARC.describe(), "repo": ARC.repo, "revision": ARC.revision, "file": ARC.filename,
        "files": {Path(ARC.filename).name: hashlib.sha256(content).hexdigest()},
    }
    served = len(file_requests(hub_server))
    again = arc_task()
    assert [s.id for s in again.samples(None, seed=0)] == [s.id for s in samples]
    assert len(file_requests(hub_server)) == served  # a cache hit asks the hub nothing


def test_offline_without_a_cached_copy_says_what_to_run(hub_server, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BadInputError) as raised:
        arc_task().samples(None, seed=0)
    message = str(raised.value)
    assert "\n" not in message and "is not cached and HF_HUB_OFFLINE is set" in message
    assert "qframe data pull CONFIG" in message and file_requests(hub_server) == []


def test_offline_with_a_cached_copy_reads_it(hub_server, monkeypatch):
    hub_server.put(ARC.repo, ARC.revision, ARC.filename, parquet_bytes(ROWS))
    arc_task().samples(None, seed=0)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub_server.failing = True
    assert len(arc_task().samples(None, seed=0)) == 6


@pytest.mark.parametrize("failing", [True, False], ids=["refused", "file missing"])
def test_a_failed_download_is_one_line(hub_server, failing):
    hub_server.failing = failing
    with pytest.raises(BadInputError) as raised:
        arc_task().samples(None, seed=0)
    message = str(raised.value)
    assert "\n" not in message and f"task arc_challenge: downloading {ARC.describe()} failed" in message


def test_resume_refuses_a_changed_export(hub_server, tmp_path, write_config, cli):
    hub_server.put(ARC.repo, ARC.revision, ARC.filename, parquet_bytes(ROWS))
    runs = tmp_path / "runs"
    config = write_config(mock_ladder(runs, """
        [[tasks]]
        name = "arc_challenge"
    """))
    code, _, err = cli("run", str(config), "--no-progress")
    assert code == 0, err
    [run_dir] = list(runs.iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["task_provenance"]["arc_challenge"]["revision"] == ARC.revision

    [cached] = (tmp_path / "qframe-cache" / "hub").rglob(Path(ARC.filename).name)
    cached.resolve().write_bytes(parquet_bytes(ROWS[::-1]))  # same rows, other bytes
    manifest["status"] = "interrupted"
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = cli("resume", str(run_dir), "--no-progress")
    assert code == 2 and "task arc_challenge: its source changed since the run started (files)" in err


def test_data_pull_fetches_what_a_config_needs_and_data_list_shows_it(hub_server, tmp_path, write_config, cli, monkeypatch):
    mmlu = EXPORTS["mmlu"]
    mmlu_rows = [{"question": f"q{i}?", "subject": "astronomy", "choices": ["a", "b", "c", "d"], "answer": i % 4} for i in range(8)]
    hub_server.put(ARC.repo, ARC.revision, ARC.filename, parquet_bytes(ROWS))
    hub_server.put(mmlu.repo, mmlu.revision, mmlu.filename, parquet_bytes(mmlu_rows))
    runs = tmp_path / "runs"
    config = write_config(mock_ladder(runs, """
        [[tasks]]
        name = "arc_challenge"

        [[tasks]]
        name = "mmlu"
        options = { per_subject = 3 }
    """))
    code, out, err = cli("data", "pull", str(config), "--no-progress")
    assert code == 0, err
    assert f"arc_challenge: 6 items from {ARC.describe()}" in out.splitlines()
    assert f"mmlu: 3 items from {mmlu.describe()}" in out.splitlines()

    code, out, err = cli("data", "list")
    assert code == 0, err
    lines = out.splitlines()
    assert any(f"hub {ARC.repo}@{ARC.revision[:8]}: {ARC.filename}" in line for line in lines)
    assert any(f"hub {mmlu.repo}@{mmlu.revision[:8]}: {mmlu.filename}" in line for line in lines)
    assert "2 files" in err

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub_server.failing = True
    code, _, err = cli("run", str(config), "--no-progress")
    assert code == 0, err  # everything the run reads was pulled
