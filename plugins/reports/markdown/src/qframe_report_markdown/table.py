"""Markdown tables and number formatting; a missing value prints as an em dash."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

MISSING = "—"

Column = tuple[str, Callable[[Mapping[str, Any]], str]]


def number(value: Any, spec: str = ".3f", sign: bool = False) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isnan(value):
        return MISSING
    if isinstance(value, int | float):
        return format(value, ("+" if sign else "") + spec)
    return str(value)


def field(key: str, spec: str = ".3f", sign: bool = False) -> Callable[[Mapping[str, Any]], str]:
    return lambda row: number(row.get(key), spec, sign)


def text(key: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda row: MISSING if row.get(key) in (None, "") else str(row[key])


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """A Markdown table; an empty list renders as a one-line note."""
    if not rows:
        return "_No data for this section in this run._\n"
    lines = ["| " + " | ".join(title for title, _ in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(cell(row).replace("|", "\\|") for _, cell in columns) + " |")
    return "\n".join(lines) + "\n"
