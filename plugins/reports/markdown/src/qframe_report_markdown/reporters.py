"""Reporters: ``markdown`` writes ``report.md``; ``matrix`` writes ``matrix.parquet``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qframe_report_markdown.sections import SECTIONS


def _atomic_write_text(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(content)
    os.replace(temporary, path)


class MarkdownReport:
    name = "markdown"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.filename = str(options.get("filename", "report.md"))

    def render(self, run: Any, analysis: Mapping[str, Any]) -> list[Path]:
        manifest = analysis["manifest"]
        title = f"# qframe decision report: {manifest['config']['experiment']['name']}\n"
        body = "\n".join(section(analysis) for section in SECTIONS)
        path = Path(run.path) / self.filename
        _atomic_write_text(path, title + "\n" + body)
        return [path]


class MatrixParquet:
    """One row per variant: every cell column the analysis produced."""

    name = "matrix"

    def __init__(self, options: Mapping[str, Any]) -> None:
        pass

    def render(self, run: Any, analysis: Mapping[str, Any]) -> list[Path]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        cells = analysis["cells"]
        columns = list(dict.fromkeys(key for cell in cells for key in cell))
        table = pa.Table.from_pylist([{key: cell.get(key) for key in columns} for cell in cells])
        path = Path(run.path) / "matrix.parquet"
        temporary = path.with_name(".matrix.parquet.tmp")
        pq.write_table(table, temporary)
        os.replace(temporary, path)
        return [path]
