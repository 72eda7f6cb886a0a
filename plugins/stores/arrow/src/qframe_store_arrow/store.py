"""A run directory: ``manifest.json`` and one folder of Parquet parts per table.

Each :meth:`ArrowRunStore.append` writes one new part file under a temporary name, syncs it to
disk and links it into place under a name no other part has, so a killed process leaves whole
parts only and two writers can never overwrite each other's parts. A write that fails (disk full,
permission) removes its temporary file and raises :class:`StoreWriteError`; the caller keeps the
rows. Part numbers are zero-padded to 12 digits and sorted as numbers, so order never depends on
how names sort as text. Reading concatenates the parts in write order and keeps, for every key,
the row written last (a retried item replaces its error).

A part that cannot be read (truncated by an interrupted copy, zero bytes, corrupt) is moved into
``quarantine/`` inside its table's folder and named in one line on stderr; its rows then count
as missing, so ``qframe resume`` runs their items again. :attr:`ArrowRunStore.quarantined` lists
the parts moved aside by this store object.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from qframe.plugin_api.errors import RunStateError, StoreWriteError, first_line
from qframe.data.records import TABLE_KEYS, TABLES, schema

MANIFEST = "manifest.json"
_PART = re.compile(r"^part-(\d{6,})\.parquet$")
PART_DIGITS = 12
QUARANTINE = "quarantine"


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
        self.quarantined: list[Path] = []

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
        folder = self.path / table
        temporary = folder / f".part-{os.getpid()}-{id(data):x}.parquet.tmp"
        try:
            _write_synced(data, temporary)
            self._next_part[table] = _link_as_new_part(temporary, folder, self._next_part[table]) + 1
            _sync_directory(folder)
        except OSError as exc:
            raise StoreWriteError(
                f"{folder}: cannot write {len(rows)} rows: {exc.strerror or exc}"
            ) from None
        finally:
            temporary.unlink(missing_ok=True)

    def positions(self) -> dict[str, int]:
        """The number the next part of each table will get: rows written from now on are in parts
        numbered at least this (the manifest's history uses it to tell which versions wrote what)."""
        return {table: max(self._next_part[table], self._last_part(table) + 1) for table in TABLES}

    def read(self, table: str) -> pa.Table:
        parts = self._parts(table)
        if not parts:
            return schema(table).empty_table()
        try:
            data = ds.dataset([str(part) for part in parts], format="parquet", schema=schema(table)).to_table()
        except (pa.ArrowException, OSError):
            data = pa.concat_tables(self._readable_parts(table, parts))
        return _latest_per_key(data, TABLE_KEYS[table])

    def _readable_parts(self, table: str, parts: Sequence[Path]) -> list[pa.Table]:
        """Each part read on its own; one that cannot be read is quarantined (module docstring)."""
        tables = [schema(table).empty_table()]
        for part in parts:
            try:
                tables.append(ds.dataset(str(part), format="parquet", schema=schema(table)).to_table())
            except (pa.ArrowException, OSError) as exc:
                moved = self._quarantine(part)
                print(
                    f"qframe: warning: {table}/{part.name} cannot be read ({first_line(exc)}); moved to "
                    f"{moved.relative_to(self.path)}, its rows count as missing (qframe resume runs them again)",
                    file=sys.stderr,
                )
        return tables

    def _quarantine(self, part: Path) -> Path:
        folder = part.parent / QUARANTINE
        folder.mkdir(exist_ok=True)
        target, copy = folder / part.name, 1
        while target.exists():
            target, copy = folder / f"{part.stem}.{copy}{part.suffix}", copy + 1
        os.replace(part, target)
        self.quarantined.append(target)
        return target

    def _parts(self, table: str) -> list[Path]:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")
        folder = self.path / table
        if not folder.exists():
            return []
        return sorted((p for p in folder.iterdir() if _PART.match(p.name)), key=_part_number)

    def _last_part(self, table: str) -> int:
        parts = self._parts(table)
        return _part_number(parts[-1]) if parts else -1


def _part_number(path: Path) -> int:
    return int(_PART.match(path.name).group(1))


def _write_synced(data: pa.Table, path: Path) -> None:
    with open(path, "wb") as handle:
        pq.write_table(data, handle, compression="zstd")
        handle.flush()
        os.fsync(handle.fileno())


def _link_as_new_part(temporary: Path, folder: Path, number: int) -> int:
    """Give ``temporary`` the first free part name from ``number`` on and return its number.

    ``os.link`` fails when the name exists, so a part written by another process (or an earlier
    one this process did not see) is never replaced.
    """
    while True:
        final = folder / f"part-{number:0{PART_DIGITS}d}.parquet"
        try:
            os.link(temporary, final)
            return number
        except FileExistsError:
            number += 1
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            # A file system without hard links: claim the name exclusively, then replace it.
            try:
                os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                number += 1
                continue
            os.replace(temporary, final)
            return number


def _sync_directory(folder: Path) -> None:
    """Make a new directory entry durable (a renamed or linked file survives a power cut)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _latest_per_key(data: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    """Keep the last-written row of every key (rows stay in the order they were written)."""
    order = pa.array(range(data.num_rows), type=pa.int64())
    latest = data.select(list(keys)).append_column("_order", order).group_by(list(keys), use_threads=False)
    indices = latest.aggregate([("_order", "max")]).column("_order_max")
    if len(indices) == data.num_rows:
        return data
    return data.take(pc.take(indices, pc.sort_indices(indices)))


def _atomic_write(path: Path, payload: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StoreWriteError(f"{path}: cannot write: {exc.strerror or exc}") from None
