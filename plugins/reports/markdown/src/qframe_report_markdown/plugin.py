"""Registers the ``markdown`` and ``matrix`` reporters (their modules load when used)."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy


@hookimpl
def qframe_register_reporters(register) -> None:
    register("markdown", lazy("qframe_report_markdown.reporters:MarkdownReport"), "report.md: decision matrix, tables, tests, recommendations, provenance")
    register("matrix", lazy("qframe_report_markdown.reporters:MatrixParquet"), "matrix.parquet: one row of aggregates and labels per variant")
