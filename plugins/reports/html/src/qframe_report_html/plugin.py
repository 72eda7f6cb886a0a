"""Registers the ``html`` reporter."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy


@hookimpl
def qframe_register_reporters(register) -> None:
    register("html", lazy("qframe_report_html.reporter:HtmlReport"), "report.html: recommendations, plots, sortable tables and flipped items (offline)")
