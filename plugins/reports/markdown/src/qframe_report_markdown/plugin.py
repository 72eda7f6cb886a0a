"""Registers the ``markdown`` and ``matrix`` reporters."""

from __future__ import annotations

from qframe.hookspecs import hookimpl


@hookimpl
def qframe_register_reporters(register) -> None:
    from qframe_report_markdown.reporters import MarkdownReport, MatrixParquet

    register("markdown", MarkdownReport, "report.md: decision matrix, tables, tests, recommendations, provenance")
    register("matrix", MatrixParquet, "matrix.parquet: one row of aggregates and labels per variant")
