"""The HTML of ``report.html``: every string from the run goes through :func:`esc`.

Model outputs, prompts, variant names and config values are untrusted text: they are escaped
(``&``, ``<``, ``>``, both quotes) and only ever placed in element content or quoted attribute
values; the page never builds a link, a style or a script from them. The Content-Security-Policy
allows the page's own script by its hash and nothing else, so even a mistake in escaping cannot
run injected code.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable, Mapping, Sequence
from importlib.resources import files
from typing import Any

from qframe.analysis.decisions import memory_of, quality_of
from qframe.analysis.evidence import Evidence, label_evidence
from qframe.analysis.recommend import Constraints, recommend

from qframe_report_html.items import KINDS, ItemPair

Analysis = Mapping[str, Any]


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def asset(name: str) -> str:
    return (files("qframe_report_html") / "assets" / name).read_text()


def anchor(prefix: str, name: str, index: int) -> str:
    """A safe, unique element id for a run-supplied name."""
    return f"{prefix}-{index}-{re.sub(r'[^A-Za-z0-9_-]', '_', name)[:40]}"


def number(value: Any, spec: str = ".3f") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format(value, spec) if isinstance(value, int | float) else esc(value)


WORRYING_LABELS = frozenset({"concerning", "unacceptable", "hidden_danger", "near_hidden_danger", "over_refusal"})


def evidence_html(evidence: Evidence) -> str:
    """The label (red when it is a warning) with its CI and status (green supported, amber inconclusive)."""
    if evidence.label is None:
        return "–"
    css = "bad" if evidence.label in WORRYING_LABELS else "good"
    parts = []
    if evidence.ci is not None:
        parts.append(f"CI [{evidence.ci[0]:+.1f}, {evidence.ci[1]:+.1f}] {esc(evidence.unit)}")
    if evidence.status is not None:
        needed = f": {esc(evidence.needed_text())}" if evidence.needed_text() else ""
        parts.append(f'<span class="{esc(evidence.status)}">{esc(evidence.status)}</span>{needed}')
    if evidence.note:
        parts.append(esc(evidence.note))
    detail = f" <small>({', '.join(parts)})</small>" if parts else ""
    return f'<span class="{css}">{esc(evidence.label)}</span>{detail}'


# --- tables -------------------------------------------------------------------------------------------

Column = tuple[str, Callable[[Mapping[str, Any]], Any], Callable[[Mapping[str, Any]], str] | None]
"""(header, sort value, cell HTML; None: the escaped sort value)."""


def sortable_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], table_id: str,
                   row_class: Callable[[Mapping[str, Any]], str | None] = lambda row: None) -> str:
    head = "".join(f"<th>{esc(title)}</th>" for title, _, _ in columns)
    body = []
    for row in rows:
        cells = []
        for _, value_of, html_of in columns:
            value = value_of(row)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            shown = html_of(row) if html_of else (number(value) if numeric else esc(value if value is not None else "–"))
            attributes = f' class="num" data-v="{value!r}"' if numeric else ""
            cells.append(f"<td{attributes}>{shown}</td>")
        css = row_class(row)
        body.append((f'<tr class="{css}">' if css else "<tr>") + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="sortable" id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _fmt(key: str, spec: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda row: number(row.get(key), spec)


def decision_table(analysis: Analysis, item_counts: Mapping[str, Mapping[str, int]], anchors: Mapping[str, str]) -> str:
    cells = analysis["cells"]

    def items_link(cell: Mapping[str, Any]) -> str:
        counts = item_counts.get(cell["variant"])
        if not counts:
            return "baseline" if cell.get("baseline") else "–"
        text = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
        return f'<a href="#{anchors[cell["variant"]]}">{esc(text)}</a>'

    columns: list[Column] = [
        ("Variant", lambda c: c["variant"], None),
        ("Quant", lambda c: c.get("quant"), None),
        ("Bits/weight", lambda c: c.get("bits_per_weight"), _fmt("bits_per_weight", ".2f")),
        ("Memory (GB)", memory_of, lambda c: number(memory_of(c), ".3g")),
        ("Quality", quality_of, lambda c: number(quality_of(c), ".3f")),
        ("Bench Δ (pp)", lambda c: c.get("benchmark_delta_pp"), _fmt("benchmark_delta_pp", "+.1f")),
        ("Gen Δ (%)", lambda c: c.get("generation_delta_pct"), _fmt("generation_delta_pct", "+.1f")),
        ("Quality tier", lambda c: c.get("quality_tier"),
         lambda c: evidence_html(label_evidence(analysis, c, "quality_tier"))),
        ("Refusal Δ (pp)", lambda c: c.get("refusal_delta_pp"), _fmt("refusal_delta_pp", "+.1f")),
        ("Safety regime", lambda c: c.get("safety_regime"),
         lambda c: evidence_html(label_evidence(analysis, c, "safety_regime"))),
        ("KL mean", lambda c: c.get("kl_mean"), _fmt("kl_mean", ".4f")),
        ("Native tok/s", lambda c: c.get("native_tps"), _fmt("native_tps", ".1f")),
        ("TTFT median (ms)", lambda c: c.get("ttft_ms_median"), _fmt("ttft_ms_median", ".1f")),
        ("Flips lost", lambda c: c.get("flips_lost"), _fmt("flips_lost", "d")),
        ("Flips gained", lambda c: c.get("flips_gained"), _fmt("flips_gained", "d")),
        ("Items", lambda c: sum((item_counts.get(c["variant"]) or {}).values()), items_link),
    ]
    return sortable_table(cells, columns, "decision-matrix",
                          lambda c: "danger" if c.get("safety_regime") == "hidden_danger" else None)


def tests_table(rows: Sequence[Mapping[str, Any]], table_id: str) -> str:
    columns: list[Column] = [
        ("Variant", lambda r: r["variant"], None),
        ("vs", lambda r: r["baseline"], None),
        ("Task", lambda r: r["task"], None),
        ("Metric", lambda r: r["metric"], None),
        ("N", lambda r: r["n"], _fmt("n", "d")),
        ("Δ", lambda r: r["delta"], _fmt("delta", "+.4f")),
        ("CI low", lambda r: r["ci_low"], _fmt("ci_low", "+.4f")),
        ("CI high", lambda r: r["ci_high"], _fmt("ci_high", "+.4f")),
        ("Lost", lambda r: r.get("lost"), _fmt("lost", "d")),
        ("Gained", lambda r: r.get("gained"), _fmt("gained", "d")),
        ("Test", lambda r: r.get("test"), None),
        ("p (Holm)", lambda r: r.get("p_holm"), _fmt("p_holm", ".3g")),
        ("Equivalence", lambda r: r.get("equivalence", r.get("equivalent")), None),
        ("MDE (pp)", lambda r: r.get("mde_pp"), _fmt("mde_pp", ".1f")),
    ]
    return sortable_table(rows, columns, table_id)


# --- above the fold -----------------------------------------------------------------------------------

def failures_block(analysis: Analysis) -> str:
    """Variants with failed items and their cause (an engine crash...), above everything else."""
    rows = analysis.get("failures", [])
    if not rows:
        return ""
    columns: list[Column] = [("Variant", lambda r: r["variant"], None),
                             ("Failed items", lambda r: f"{r['failed']} of {r['items']}", None),
                             ("Cause", lambda r: r["error"], None)]
    return ('<div class="card"><h2 id="failures" class="bad">Failed items: this run is incomplete</h2>'
            "<p>These variants have items without a result; their cells rest on the items that succeeded (or on "
            "none). <code>qframe resume</code> on this run's folder runs them again.</p>"
            + sortable_table(rows, columns, "failures") + "</div>")


def stopping_block(analysis: Analysis) -> str:
    """A run that stopped when decided: the rule and per variant its stop (see :func:`qframe.run.stopping.summary`)."""
    summary = analysis.get("stopping")
    if not summary:
        return ""
    columns: list[Column] = [
        ("Variant", lambda r: r["variant"], None), ("Stopped at look", lambda r: str(r["look"]), None),
        ("Units", lambda r: str(r["units"]), None), ("Items", lambda r: number(r["items"], "d"), None),
        ("Why", lambda r: r["reason_text"], None), ("Labels at the stop", lambda r: r["labels_text"] or "–", None),
        ("Planned units", lambda r: number(r["planned_units"], "d"), None),
        ("Saved", lambda r: number(r["saved"], ".0%"), None),
        ("Fixed, knowing the effects", lambda r: number(r["fixed_design_units"], "d"), None),
    ]
    return (f'<div class="card"><h2 id="stopping">Stopping</h2><p>{esc(summary["note"])}</p>'
            + sortable_table(summary["variants"], columns, "stopping") + "</div>")


def tier_summary(analysis: Analysis) -> str:
    """Per memory tier: the recommended variant with its evidence; then why the others are out."""
    rows = []
    for tier in sorted(analysis["settings"]["memory_tiers_gb"]):
        result = recommend(analysis, Constraints(memory_gb=tier))
        best = result.best
        if best is None:
            rows.append(f"<tr><td>{tier:g} GB</td><td colspan=\"4\" class=\"bad\">none: "
                        f"{esc(', '.join(result.binding))} binds</td></tr>")
            continue
        runner = result.runner_up.variant if result.runner_up else "–"
        pick = f"<b>{esc(best.variant)}</b>" + (
            f' <span class="inconclusive" title="{esc("; ".join(result.provisional))}">provisional</span>'
            if result.provisional else "")
        rows.append(f"<tr><td>{tier:g} GB</td><td>{pick}</td><td>{evidence_html(best.quality)}</td>"
                    f"<td>{evidence_html(best.safety)}</td><td>{esc(runner)}</td></tr>")
    table = ("<table><thead><tr><th>Memory tier</th><th>Ship</th><th>Quality tier (evidence)</th>"
             f"<th>Safety regime (evidence)</th><th>Runner-up</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    overall = recommend(analysis, Constraints())
    reasons = [f"<li><b>{esc(a.variant)}</b>: {esc(a.why_not())}.</li>" for a in overall.excluded if a.rejected]
    rejected = ("<ul class=\"reasons\">" + "".join(reasons) + "</ul>") if reasons else "<p>No variant is rejected.</p>"
    unproven = [f"<li><b>{esc(a.variant)}</b>: {esc(a.why_not())}.</li>" for a in overall.excluded if not a.rejected]
    if unproven:
        rejected += ("<p class=\"meta\">Not shown to qualify (the labels that exclude them are inconclusive):</p>"
                     "<ul class=\"reasons inconclusive\">" + "".join(unproven) + "</ul>")
    notes = "".join(f'<p class="inconclusive">{esc(note)}</p>' for note in analysis.get("variant_notes", ()))
    return (f'<div class="summary"><div class="card"><h2>Recommendation per memory tier</h2>{notes}{table}'
            f'<p class="meta">Constraints: {esc(overall.constraints.describe())} (as <code>qframe recommend</code>). '
            "A label is <span class=\"supported\">supported</span> when its whole CI gives the same label, else "
            "<span class=\"inconclusive\">inconclusive</span> with the items needed to decide.</p></div>"
            f'<div class="card"><h2>Rejected variants</h2>{rejected}</div></div>')


# --- items --------------------------------------------------------------------------------------------

def item_html(item: ItemPair, baseline: str, variant: str) -> str:
    return (f"<details><summary>{esc(item.task)} · {esc(item.sample_id)}"
            "</summary><div class=\"pair\">"
            f"<div><h4>Prompt</h4><pre>{esc(item.prompt)}</pre></div>"
            f"<div><h4>{esc(baseline)} (baseline)</h4><pre>{esc(item.baseline_text)}</pre></div>"
            f"<div><h4>{esc(variant)}</h4><pre>{esc(item.variant_text)}</pre></div></div></details>")


def items_section(variant: str, baseline: str, items: Mapping[str, Sequence[ItemPair]], section_id: str, limit: int) -> str:
    parts = [f'<section id="{section_id}"><h3>{esc(variant)} vs {esc(baseline)}</h3>']
    for kind, title in KINDS.items():
        found = items.get(kind)
        if found is None:
            continue
        shown = found[:limit]
        more = f" (first {limit} shown)" if len(found) > limit else ""
        parts.append(f"<h4>{esc(title)}: {len(found)}{more}</h4>")
        parts.extend(item_html(item, baseline, variant) for item in shown)
    return "".join(parts) + "</section>"


# --- the page -----------------------------------------------------------------------------------------

def script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def document(title: str, meta: str, body: str) -> str:
    script = asset("report.js")
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              f"script-src '{script_hash(script)}'; base-uri 'none'; form-action 'none'")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{asset('report.css')}</style></head><body>"
            f"<header><h1>{esc(title)}</h1><div class=\"meta\">{meta}</div></header>"
            f"<main>{body}</main><script>{script}</script></body></html>\n")
