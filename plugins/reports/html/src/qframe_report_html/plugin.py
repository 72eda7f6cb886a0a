"""Registers the ``html`` reporter."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl


@hookimpl
def qframe_register_reporters(register) -> None:
    from qframe_report_html.reporter import HtmlReport

    register("html", HtmlReport, "report.html: recommendations, plots, sortable tables and flipped items (offline)")
