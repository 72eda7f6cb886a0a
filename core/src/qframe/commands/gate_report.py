"""The files ``qframe gate`` writes: JUnit XML for CI test reports, Markdown for a job summary.

In JUnit terms each check is a test case: a failed check is a ``failure``, an inconclusive one
is ``skipped`` with the reason (CI systems show it without failing the test report; the
command's exit code 4 is what tells the pipeline).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from qframe.analysis.evidence import INCONCLUSIVE
from qframe.analysis.gate import FAIL, GateResult

ICONS = {"pass": "✅ pass", FAIL: "❌ fail", INCONCLUSIVE: "⚠️ inconclusive"}


def junit_xml(result: GateResult) -> str:
    suite = ET.Element("testsuite", {
        "name": f"qframe gate {result.candidate}",
        "tests": str(len(result.checks)),
        "failures": str(sum(c.outcome == FAIL for c in result.checks)),
        "skipped": str(sum(c.outcome == INCONCLUSIVE for c in result.checks)),
        "errors": "0",
    })
    for check in result.checks:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"qframe.gate.{result.candidate}", "name": f"{check.check}: {check.subject}"})
        if check.outcome == FAIL:
            ET.SubElement(case, "failure", {"message": check.detail, "type": check.check}).text = check.detail
        elif check.outcome == INCONCLUSIVE:
            ET.SubElement(case, "skipped", {"message": f"inconclusive: {check.detail}"})
        ET.SubElement(case, "system-out").text = check.detail
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(result: GateResult) -> str:
    lines = [
        f"## qframe gate: {_cell(result.candidate)} vs {_cell(result.baseline)}: {ICONS[result.outcome]}",
        "",
        f"Margin ±{result.margin_pp:g} pp. Exit code {result.exit_code}.",
        "",
        "| Check | Subject | Outcome | Evidence |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {c.check} | {_cell(c.subject)} | {ICONS[c.outcome]} | {_cell(c.detail)} |" for c in result.checks]
    return "\n".join(lines) + "\n"


def write_gate_files(result: GateResult, junit: Path, summary: Path) -> None:
    junit.write_text(junit_xml(result))
    summary.write_text(markdown_summary(result))
