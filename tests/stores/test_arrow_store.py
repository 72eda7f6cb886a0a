"""The arrow store: atomic parts, latest row per key, manifest handling, one table on read."""

from __future__ import annotations

import pyarrow as pa
import pytest

from qframe.plugin_api.errors import RunStateError
from qframe.data.records import schema
from qframe_store_arrow.store import ArrowRunStore


def _row(sample: str, text: str | None, error: str | None = None, variant: str = "F16") -> dict:
    return {"variant": variant, "task": "t", "sample_id": sample, "repetition": 0, "text": text, "error": error}


def test_parts_read_back_as_one_table_with_the_schema(tmp_path):
    store = ArrowRunStore(tmp_path / "run")
    store.append("generations", [_row("a", "x"), _row("b", "y")])
    store.append("generations", [_row("c", "z", variant="Q4")])
    table = store.read("generations")
    assert isinstance(table, pa.Table)
    assert table.schema == schema("generations")
    assert table.column("sample_id").to_pylist() == ["a", "b", "c"]
    assert len(list((tmp_path / "run" / "generations").glob("part-*.parquet"))) == 2


def test_latest_row_per_key_wins(tmp_path):
    store = ArrowRunStore(tmp_path)
    store.append("generations", [_row("a", None, error="timeout"), _row("b", "ok")])
    store.append("generations", [_row("a", "retried")])
    rows = store.read("generations").to_pylist()
    assert [(r["sample_id"], r["text"], r["error"]) for r in rows] == [("b", "ok", None), ("a", "retried", None)]


def test_scores_are_keyed_by_metric_too(tmp_path):
    store = ArrowRunStore(tmp_path)
    key = {"variant": "F16", "task": "t", "sample_id": "a", "repetition": 0}
    store.append("scores", [key | {"metric": "m1", "value": 1.0}, key | {"metric": "m2", "value": 0.0}])
    store.append("scores", [key | {"metric": "m1", "value": 0.5}])
    values = {r["metric"]: r["value"] for r in store.read("scores").to_pylist()}
    assert values == {"m1": 0.5, "m2": 0.0}


def test_a_reopened_store_continues_numbering_and_ignores_temporary_files(tmp_path):
    ArrowRunStore(tmp_path).append("generations", [_row("a", "x")])
    (tmp_path / "generations" / ".part-000001.parquet.tmp").write_bytes(b"half-written")
    reopened = ArrowRunStore(tmp_path)
    reopened.append("generations", [_row("b", "y")])
    assert sorted(p.name for p in (tmp_path / "generations").glob("part-*.parquet")) == [
        "part-000000000000.parquet",
        "part-000000000001.parquet",
    ]
    assert reopened.read("generations").num_rows == 2


def test_empty_tables_read_with_their_schema(tmp_path):
    table = ArrowRunStore(tmp_path).read("verdicts")
    assert table.num_rows == 0 and table.schema == schema("verdicts")


def test_manifest_round_trip_and_clear_errors(tmp_path):
    store = ArrowRunStore(tmp_path)
    with pytest.raises(RunStateError, match="no manifest.json"):
        store.read_manifest()
    store.write_manifest({"status": "running", "variants": {"F16": {"digest": "ab"}}})
    assert store.read_manifest()["variants"]["F16"]["digest"] == "ab"
    (tmp_path / "manifest.json").write_text("{broken")
    with pytest.raises(RunStateError, match="manifest is not valid JSON"):
        store.read_manifest()


def test_unknown_table_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown table 'nope'"):
        ArrowRunStore(tmp_path).read("nope")


def test_top_logprobs_round_trip(tmp_path):
    store = ArrowRunStore(tmp_path)
    store.append("generations", [_row("a", "x") | {"top_logprobs": [[("tok", -0.5), ("other", -1.5)]]}])
    stored = store.read("generations").to_pylist()[0]["top_logprobs"]
    assert stored == [[("tok", -0.5), ("other", -1.5)]]


def test_part_numbers_sort_as_numbers_past_a_million_parts(tmp_path):
    store = ArrowRunStore(tmp_path)
    store._next_part["generations"] = 999_999
    store.append("generations", [_row("a", "old")])
    store.append("generations", [_row("a", "new")])
    names = sorted(p.name for p in (tmp_path / "generations").glob("part-*.parquet"))
    assert names == ["part-000000999999.parquet", "part-000001000000.parquet"]
    assert ArrowRunStore(tmp_path).read("generations").column("text").to_pylist() == ["new"]
    assert ArrowRunStore(tmp_path).positions()["generations"] == 1_000_001


def test_old_six_digit_parts_still_read_in_numeric_order(tmp_path):
    store = ArrowRunStore(tmp_path)
    store.append("generations", [_row("a", "first")])
    (tmp_path / "generations" / "part-000000000000.parquet").rename(tmp_path / "generations" / "part-999999.parquet")
    store._next_part["generations"] = 1_000_000
    store.append("generations", [_row("a", "second")])
    assert ArrowRunStore(tmp_path).read("generations").column("text").to_pylist() == ["second"]


def test_two_writers_with_the_same_counter_never_overwrite_each_other(tmp_path):
    first, second = ArrowRunStore(tmp_path), ArrowRunStore(tmp_path)
    first.append("generations", [_row("a", "x")])
    second.append("generations", [_row("b", "y")])  # its counter still says part 0
    assert len(list((tmp_path / "generations").glob("part-*.parquet"))) == 2
    assert sorted(ArrowRunStore(tmp_path).read("generations").column("sample_id").to_pylist()) == ["a", "b"]


def test_a_failed_write_raises_one_line_and_leaves_no_part_or_temporary_file(tmp_path, monkeypatch):
    import errno
    import os

    from qframe.plugin_api.errors import StoreWriteError

    store = ArrowRunStore(tmp_path)
    store.append("generations", [_row("a", "x")])
    real_fsync = os.fsync

    def full_disk(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(StoreWriteError, match="cannot write 1 rows: No space left on device") as failure:
        store.append("generations", [_row("b", "y")])
    assert "\n" not in str(failure.value)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert [p.name for p in (tmp_path / "generations").iterdir()] == ["part-000000000000.parquet"]
    store.append("generations", [_row("b", "y")])
    assert store.read("generations").num_rows == 2
