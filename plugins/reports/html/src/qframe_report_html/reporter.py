"""Reporter ``html``: writes ``report.html`` (options: ``filename``, ``items_per_kind``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qframe.analysis.data import RunData
from qframe.plugin_api.errors import ConfigError

from qframe_report_html.items import variant_items
from qframe_report_html.page import (
    anchor,
    decision_table,
    document,
    esc,
    failures_block,
    stopping_block,
    items_section,
    tests_table,
    tier_summary,
)
from qframe_report_html.plots import PLOTS


class HtmlReport:
    name = "html"

    def __init__(self, options: Mapping[str, Any]) -> None:
        unknown = sorted(set(options) - {"filename", "items_per_kind"})
        if unknown:
            raise ConfigError(f"reports.html: unknown option {unknown[0]!r}; allowed: filename, items_per_kind")
        self.filename = str(options.get("filename", "report.html"))
        try:
            self.items_per_kind = int(options.get("items_per_kind", 50))
        except (TypeError, ValueError):
            raise ConfigError(f"reports.html.items_per_kind: expected an integer, got {options['items_per_kind']!r}") from None

    def render(self, run: Any, analysis: Mapping[str, Any]) -> list[Path]:
        manifest = analysis["manifest"]
        data = RunData.from_store(run, manifest)
        items = variant_items(data, analysis["settings"])
        anchors = {variant: anchor("items", variant, index) for index, variant in enumerate(data.variants)}
        counts = {variant: {kind: len(found) for kind, found in kinds.items()} for variant, kinds in items.items()}
        figures = []
        for plot_id, title, how, draw in PLOTS:
            svg = draw(analysis, data)
            if svg is not None:
                figures.append(f'<figure class="plot" id="plot-{plot_id}">{svg}'
                               f"<figcaption><b>{esc(title)}.</b> {esc(how)}</figcaption></figure>")
        body = [
            failures_block(analysis),
            tier_summary(analysis),
            stopping_block(analysis),
            '<h2 id="plots">Plots</h2><div class="plots">' + "".join(figures) + "</div>",
            '<h2 id="matrix">Decision matrix</h2><p class="meta">Click a header to sort; hidden-danger rows are '
            "shaded red. The Items column links to each variant's flipped and hidden-danger items.</p>"
            + decision_table(analysis, counts, anchors),
            '<h2 id="tests">Paired tests against the baseline</h2>' + tests_table(analysis["comparisons"], "tests"),
            '<h2 id="adjacent">Adjacent levels down the ladder</h2>' + tests_table(analysis["adjacent"], "adjacent"),
            '<h2 id="items">Items behind the flips</h2>' + "".join(
                items_section(variant, data.baseline_of[variant], kinds, anchors[variant], self.items_per_kind)
                for variant, kinds in items.items()),
            '<h2 id="thresholds">Thresholds</h2>' + _thresholds(analysis),
        ]
        experiment = manifest["config"]["experiment"]["name"]
        meta = (f"run {esc(manifest.get('run_id'))} · status {esc(manifest.get('status'))} · "
                f"config {esc(str(manifest.get('config_hash', ''))[:12])} · qframe {esc(manifest.get('qframe_version'))}")
        path = Path(run.path) / self.filename
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(document(f"qframe decision report: {experiment}", meta, "".join(body)))
        os.replace(temporary, path)
        return [path]


def _thresholds(analysis: Mapping[str, Any]) -> str:
    rows = []
    for name, values in [("analysis", analysis["settings"]), *analysis["thresholds"].items()]:
        pairs = ", ".join(f"{esc(key)} = {esc(value)}" for key, value in values.items())
        rows.append(f"<li><b>{esc(name)}</b>: {pairs}</li>")
    return "<ul>" + "".join(rows) + "</ul>"
