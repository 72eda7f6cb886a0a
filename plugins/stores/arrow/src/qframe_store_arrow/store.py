"""A run directory: ``manifest.json`` and one folder of Parquet parts per table.

Each :meth:`ArrowRunStore.append` writes one new part file under a temporary name and renames
it into place, so a killed process leaves whole parts only. Reading concatenates the parts in
write order and keeps, for every key, the row written last (a retried item replaces its error).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from qframe.errors import RunStateError
from qframe.records import TABLE_KEYS, TABLES, schema

MANIFEST = "manifest.json"
_PART = re.compile(r"^part-(\d{6,})\.parquet$")


class ArrowRunStore:
    """Durable storage of one run under ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            for table in TABLES:
                (self.path / table).mkdir(exist_ok=True)
        except OSError as exc:
            raise RunStateError(f"{self.path}: cannot create run directory: {exc.strerror}") from None
        self._next_part = {table: self._last_part(table) + 1 for table in TABLES}

    # -- manifest -----------------------------------------------------------------------------

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        _atomic_write(self.path / MANIFEST, json.dumps(manifest, indent=2, default=str).encode())

    def read_manifest(self) -> dict[str, Any]:
        file = self.path / MANIFEST
        try:
            return json.loads(file.read_text())
        except FileNotFoundError:
            raise RunStateError(f"{self.path}: not a qframe run (no {MANIFEST})") from None
        except json.JSONDecodeError as exc:
            raise RunStateError(f"{file}: manifest is not valid JSON ({exc.msg} at line {exc.lineno})") from None

    # -- tables -------------------------------------------------------------------------------

    def append(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        data = pa.Table.from_pylist(list(rows), schema=schema(table))
        index = self._next_part[table]
        self._next_part[table] = index + 1
        final = self.path / table / f"part-{index:06d}.parquet"
        temporary = final.with_name(f".{final.name}.tmp")
        pq.write_table(data, temporary, compression="zstd")
        os.replace(temporary, final)

    def read(self, table: str) -> pa.Table:
        parts = self._parts(table)
        if not parts:
            return schema(table).empty_table()
        data = ds.dataset([str(part) for part in parts], format="parquet", schema=schema(table)).to_table()
        return _latest_per_key(data, TABLE_KEYS[table])

    def _parts(self, table: str) -> list[Path]:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")
        folder = self.path / table
        return sorted(p for p in folder.iterdir() if _PART.match(p.name)) if folder.exists() else []

    def _last_part(self, table: str) -> int:
        parts = self._parts(table)
        return int(_PART.match(parts[-1].name).group(1)) if parts else -1


def _latest_per_key(data: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    """Keep the last-written row of every key (rows stay in the order they were written)."""
    order = pa.array(range(data.num_rows), type=pa.int64())
    latest = data.select(list(keys)).append_column("_order", order).group_by(list(keys), use_threads=False)
    indices = latest.aggregate([("_order", "max")]).column("_order_max")
    if len(indices) == data.num_rows:
        return data
    return data.take(pc.take(indices, pc.sort_indices(indices)))


def _atomic_write(path: Path, payload: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(payload)
    os.replace(temporary, path)
