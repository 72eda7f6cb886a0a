"""Reading a benchmark export: one Parquet or JSONL file, or a folder of them, into plain rows.

A folder is searched recursively; only the files of the wanted split are read, recognised by the
split's name appearing as a word of their path relative to the folder (``test-00000-of-00001.parquet``,
``ARC-Challenge/test.jsonl``, ``validation/part-0.parquet``). Every failure is a one-line
:class:`~qframe.errors.BadInputError` that names the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from qframe.errors import BadInputError

SUFFIXES = (".parquet", ".jsonl")
"""File types a benchmark export may come in."""

Row = dict[str, Any]


def read_rows(path: Path, split: str) -> list[Row]:
    """Every row of the export at ``path`` (a file, or a folder holding the ``split`` files)."""
    rows = [row for file in data_files(path, split) for row in read_file(file)]
    if not rows:
        raise BadInputError(f"{path}: the export holds no rows")
    return rows


def data_files(path: Path, split: str) -> list[Path]:
    """The files to read: ``path`` itself, or the ``split`` files found under the folder ``path``."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise BadInputError(f"{path}: no such file or folder")
    exports = sorted(file for file in path.rglob("*") if file.suffix in SUFFIXES and file.is_file())
    if not exports:
        raise BadInputError(f"{path}: the folder holds no {' or '.join(SUFFIXES)} file")
    in_split = [file for file in exports if split in _words(file.relative_to(path))]
    if not in_split:
        raise BadInputError(f"{path}: no file of split {split!r} among {len(exports)} export files (set options.split)")
    return in_split


def read_file(file: Path) -> list[Row]:
    """The rows of one Parquet or JSONL file."""
    if file.suffix == ".parquet":
        return _read_parquet(file)
    if file.suffix == ".jsonl":
        return _read_jsonl(file)
    raise BadInputError(f"{file}: unsupported file type {file.suffix!r}; use {' or '.join(SUFFIXES)}")


def _words(relative: Path) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", str(relative.with_suffix("")).lower()))


def _read_parquet(file: Path) -> list[Row]:
    import pyarrow
    import pyarrow.parquet

    try:
        return pyarrow.parquet.read_table(file).to_pylist()
    except (pyarrow.ArrowException, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadInputError(f"{file}: not a readable Parquet file ({reason})") from exc


def _read_jsonl(file: Path) -> list[Row]:
    rows: list[Row] = []
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{file}: cannot read the file as UTF-8 text ({exc})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{file}:{number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise BadInputError(f"{file}:{number}: expected a JSON object, got {type(row).__name__}")
        rows.append(row)
    return rows
