"""Reading a benchmark export: one Parquet or JSONL file, or a folder of them, into plain rows.

A folder is searched recursively; only the files of the wanted split are read, recognised by the
split's name appearing as a word of their path relative to the folder (``test-00000-of-00001.parquet``,
``ARC-Challenge/test.jsonl``, ``validation/part-0.parquet``). Every failure is a one-line
:class:`~qframe.plugin_api.errors.BadInputError` that names the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qframe.data import datafiles
from qframe.plugin_api.errors import BadInputError

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
    """The rows of one Parquet or JSONL file, with the export's own column names."""
    formats = tuple(suffix.lstrip(".") for suffix in SUFFIXES)
    return [dict(row.values) for row in datafiles.read_rows(file, formats, normalise_columns=False, allow_empty=True)]


def _words(relative: Path) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", str(relative.with_suffix("")).lower()))
