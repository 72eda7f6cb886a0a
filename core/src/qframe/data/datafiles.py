"""Reading data files (CSV, JSON Lines, Parquet) into rows: the one reader behind every task
loader, benchmark export and labelled file.

By default column names are compared case-insensitively with spaces and hyphens read as
underscores, so ``Best Answer``, ``best_answer`` and ``BEST-ANSWER`` are one column;
``normalise_columns=False`` keeps a schema's own names (``answerKey``). A UTF-8 byte-order mark
before the first header is ignored. Anything malformed raises
:class:`qframe.plugin_api.errors.BadInputError` with one line naming the file, the place and the problem.
pyarrow is imported only when a Parquet file is read.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from qframe.plugin_api.errors import BadInputError, first_line


def column_key(name: str) -> str:
    """The normalised form of a column name: stripped, lower-case, spaces and hyphens as ``_``."""
    return "_".join(name.strip().lower().replace("-", " ").split())


@attrs.frozen
class SourceRow:
    """One record of a data file, with its place in the file for error messages."""

    path: Path
    location: str
    values: Mapping[str, Any] = attrs.field(hash=False)

    def text(self, column: str) -> str:
        """The column's value as stripped text; a missing or empty value is an error."""
        value = self.optional_text(column)
        if not value:
            raise BadInputError(f"{self.path}: {self.location}: empty or missing '{column}'")
        return value

    def optional_text(self, column: str) -> str:
        """The column's value as stripped text, or ``""`` when it is missing or empty."""
        value = self.values.get(column)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise BadInputError(f"{self.path}: {self.location}: '{column}' must be text, got {type(value).__name__}")
        return value.strip()


def read_rows(
    path: str | Path, formats: Sequence[str], normalise_columns: bool = True, allow_empty: bool = False
) -> list[SourceRow]:
    """Every record of ``path``; its suffix must be one of ``formats`` (``csv``, ``jsonl``, ``parquet``).

    A file without records is an error unless ``allow_empty`` (one file of several, say).
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in formats:
        names = [f".{name}" for name in formats]
        allowed = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        raise BadInputError(f"{path}: unsupported file type '.{suffix}'; expected {allowed}")
    if not path.is_file():
        raise BadInputError(f"{path}: data file not found")
    readers = {"csv": _read_csv, "jsonl": _read_jsonl, "parquet": _read_parquet}
    key = column_key if normalise_columns else str
    rows = readers[suffix](path, key)
    if not rows and not allow_empty:
        raise BadInputError(f"{path}: no data rows")
    return rows


def require_columns(rows: Sequence[SourceRow], columns: Iterable[str]) -> None:
    """Fail naming the first missing column and the columns the file has."""
    first = rows[0]
    for column in columns:
        if column not in first.values:
            found = ", ".join(first.values) or "none"
            raise BadInputError(f"{first.path}: no '{column}' column; columns found: {found}")


ColumnKey = Callable[[str], str]


def _read_csv(path: Path, key: ColumnKey) -> list[SourceRow]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise BadInputError(f"{path}: empty file, expected a header row")
            columns = _unique_columns(path, header, key)
            rows = []
            for fields in reader:
                if not fields:
                    continue
                location = f"line {reader.line_num}"
                if len(fields) != len(columns):
                    raise BadInputError(f"{path}: {location}: {len(fields)} fields where the header has {len(columns)}")
                rows.append(SourceRow(path, location, dict(zip(columns, fields, strict=True))))
            return rows
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise BadInputError(f"{path}: not valid CSV: {exc}") from None


def _unique_columns(path: Path, header: Sequence[str], key: ColumnKey) -> list[str]:
    columns = [key(name) for name in header]
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        raise BadInputError(f"{path}: duplicate column(s) in the header: {', '.join(duplicates)}")
    return columns


def _read_jsonl(path: Path, key: ColumnKey) -> list[SourceRow]:
    rows = []
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                location = f"line {number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BadInputError(f"{path}: {location}: not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise BadInputError(f"{path}: {location}: expected a JSON object, got {type(record).__name__}")
                rows.append(SourceRow(path, location, {key(name): value for name, value in record.items()}))
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return rows


def _read_parquet(path: Path, key: ColumnKey) -> list[SourceRow]:
    import pyarrow
    import pyarrow.parquet as parquet

    try:
        table = parquet.read_table(path)
    except (pyarrow.ArrowException, OSError) as exc:
        raise BadInputError(f"{path}: not a readable Parquet file ({first_line(exc)})") from None
    columns = _unique_columns(path, table.column_names, key)
    return [
        SourceRow(path, f"row {index + 1}", dict(zip(columns, record.values(), strict=True)))
        for index, record in enumerate(table.to_pylist())
    ]
