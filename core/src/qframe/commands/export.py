"""The decision matrix (analysis cells) as CSV or JSON text."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any


def _columns(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(key for cell in cells for key in cell))


def cells_as_csv(cells: Sequence[Mapping[str, Any]]) -> str:
    """One row per variant; every column any cell has (empty where a cell lacks it)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_columns(cells), lineterminator="\n")
    writer.writeheader()
    writer.writerows(cells)
    return buffer.getvalue()


def cells_as_json(cells: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(list(cells), indent=2, default=str) + "\n"
