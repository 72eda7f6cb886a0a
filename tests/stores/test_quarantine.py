"""A damaged run folder: unreadable Parquet parts are moved aside, their keys count as missing."""

from __future__ import annotations

import asyncio
import json

import pytest

from qframe.config import structure_experiment
from qframe.data.records import TABLES, schema
from qframe.run.session import execute, new_session, open_session
from qframe_store_arrow.store import QUARANTINE, ArrowRunStore


def _key_row(table: str, sample: str) -> dict:
    row = {name: None for name in schema(table).names}
    return row | {"variant": "F16", "task": "t", "sample_id": sample, "repetition": 0, "metric": "m", "judge": "j"}


def _damage(part, how: str) -> None:
    if how == "zero-byte":
        part.write_bytes(b"")
    else:
        data = part.read_bytes()
        part.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("how", ["truncated", "zero-byte"])
@pytest.mark.parametrize("table", TABLES)
def test_an_unreadable_part_is_quarantined_with_one_line_and_the_rest_is_read(table, how, tmp_path, capsys):
    store = ArrowRunStore(tmp_path / "run")
    store.append(table, [_key_row(table, "a")])
    store.append(table, [_key_row(table, "b")])
    store.append(table, [_key_row(table, "c")])
    damaged = sorted((tmp_path / "run" / table).glob("part-*.parquet"))[1]
    _damage(damaged, how)

    rows = store.read(table).to_pylist()

    assert [row["sample_id"] for row in rows] == ["a", "c"]
    assert not damaged.exists() and (damaged.parent / QUARANTINE / damaged.name).exists()
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"qframe: warning: {table}/{damaged.name} cannot be read (")
    assert f"moved to {table}/{QUARANTINE}/{damaged.name}" in line and "count as missing" in line
    assert store.quarantined == [damaged.parent / QUARANTINE / damaged.name]
    store.append(table, [_key_row(table, "b")])  # a new part never reuses the quarantined name's file
    assert [row["sample_id"] for row in ArrowRunStore(tmp_path / "run").read(table).to_pylist()] == ["a", "c", "b"]


CONFIG = {
    "experiment": {"name": "damaged", "max_tokens": 8, "warmup": 0},
    "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": ["F16", "Q4_K_M"]},
    "tasks": [{"name": "mock", "limit": 6}],
    "metrics": ["exact_match"],
    "store": {"flush_rows": 3, "flush_interval_s": 60.0},
    "reports": ["markdown"],
}


@pytest.mark.parametrize("how", ["truncated", "zero-byte"])
def test_report_says_incomplete_and_resume_runs_the_lost_items_again(how, host, tmp_path, cli):
    session = new_session(structure_experiment(CONFIG), host, tmp_path / "runs", "run")
    assert asyncio.run(execute(session, progress=False)).exit_code == 0
    parts = sorted((session.path / "generations").glob("part-*.parquet"))
    assert len(parts) == 4
    _damage(parts[0], how)

    code, _, err = cli("report", str(session.path))

    assert code == 0 and "generations/part-" in err and "cannot be read" in err
    assert "run status: incomplete" in err
    manifest = json.loads((session.path / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["quarantined"] == [f"generations/{QUARANTINE}/{parts[0].name}"]
    assert "damaged Parquet parts were moved aside" in (session.path / "report.md").read_text()

    resumed = open_session(session.path, host)
    outcome = asyncio.run(execute(resumed, progress=False))

    assert outcome.exit_code == 0 and outcome.completed == 3
    assert len(resumed.store.read("generations").to_pylist()) == 12
    assert json.loads((session.path / "manifest.json").read_text())["status"] == "complete"
    assert "their items were run again" in (session.path / "report.md").read_text()
