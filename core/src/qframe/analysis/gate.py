"""A pass/fail/inconclusive gate of one candidate variant against its baseline, for CI pipelines.

Checks (each on the candidate's paired test rows of the run's quality, :func:`quality_rows`: the
pooled benchmark row where several tasks pool, else each task's quality row; or on its safety
regime):

- ``equivalent``: the delta's decision interval (``1 - 2·alpha``, cluster widening included:
  see :mod:`qframe.analysis.evidence`) lies within +-margin (pass), wholly outside it (fail),
  else inconclusive;
- ``non-inferior``: that interval's lower end is above -margin (pass), its upper end below
  -margin (fail), else inconclusive; an equivalent variant is always non-inferior;
- ``not-hidden-danger``: whether hidden danger is possible, tested against its own boundaries
  (refusal collapse and intact quality): excluded by the CIs (pass), supported (fail), else
  inconclusive, with the items needed for the boundary that decides it.

An inconclusive check says how many items would decide it at the analysis' power (80%); when
that lies far beyond the run's items, it says the run cannot decide at this effect size and
gives the items for an effect one margin from the boundary instead.
The outcome is ``fail`` when any check fails, else ``inconclusive`` when any is, else ``pass``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from qframe.analysis.data import POOLED
from qframe.analysis.evidence import (
    EQUIVALENT,
    INCONCLUSIVE,
    NON_INFERIOR,
    decision_interval,
    equivalence,
    items_to_decide,
    label_evidence,
    non_inferiority,
    undecidable,
)
from qframe.analysis.quality import describe, signal_pairs
from qframe.plugin_api.errors import BadInputError
from qframe.plugin_api.protocols import CONTINUOUS, PROPORTION

CHECKS = ("equivalent", "non-inferior", "not-hidden-danger")
DEFAULT_CHECKS = ("non-inferior",)
PASS, FAIL = "pass", "fail"
EXIT_CODES = {PASS: 0, FAIL: 1, INCONCLUSIVE: 4}


@attrs.frozen
class CheckResult:
    check: str
    subject: str
    outcome: str
    detail: str
    items_needed: int | None = None


@attrs.frozen
class GateResult:
    candidate: str
    baseline: str
    margin_pp: float
    checks: tuple[CheckResult, ...]

    @property
    def outcome(self) -> str:
        outcomes = {c.outcome for c in self.checks}
        return FAIL if FAIL in outcomes else INCONCLUSIVE if INCONCLUSIVE in outcomes else PASS

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def find_candidate(analysis: Mapping[str, Any], candidate: str) -> Mapping[str, Any]:
    """The cell of ``candidate``: a variant id, else the quant label of exactly one variant."""
    cells = analysis["cells"]
    by_id = [c for c in cells if c["variant"] == candidate]
    matches = by_id or [c for c in cells if c.get("quant") == candidate]
    if len(matches) != 1:
        known = ", ".join(c["variant"] for c in cells)
        problem = "matches several variants" if matches else "is not a variant of this run"
        raise BadInputError(f"--candidate {candidate!r} {problem}; variants: {known}")
    if matches[0].get("baseline"):
        raise BadInputError(f"--candidate {candidate!r} is the baseline; gate a variant against it")
    return matches[0]


def quality_rows(analysis: Mapping[str, Any], variant: str) -> list[Mapping[str, Any]]:
    """The candidate's paired rows of the run's quality: the pooled benchmark row where there is
    one, else the row of each task's proportion signal, else of each continuous signal's metrics
    (:mod:`qframe.analysis.quality`)."""
    mine = [r for r in analysis["comparisons"] if r["variant"] == variant]
    pooled = [r for r in mine if r["task"] == POOLED and r["metric"] == analysis["settings"]["benchmark_metric"]]
    if pooled:
        return pooled
    for kind in (PROPORTION, CONTINUOUS):
        wanted = signal_pairs(analysis.get("quality_signals", {}), kind)
        rows = [r for r in mine if (r["task"], r["metric"]) in wanted]
        if rows:
            return rows
    return []


def _ci_text(row: Mapping[str, Any]) -> str:
    interval = decision_interval(row)
    level = 100 * row.get("decision_level", 0.9)
    if interval is None:
        return f"delta {100 * row['delta']:+.2f} pp on {row['n']} items, no interval (values outside [0, 1])"
    low, high = interval
    kind = (", confidence sequence" if row.get("ci_method") == "confidence_sequence"
            else ", cluster-widened" if row.get("clusters") else "")
    return (f"delta {100 * row['delta']:+.2f} pp, {level:g}% CI{kind} [{100 * low:+.2f}, {100 * high:+.2f}] pp "
            f"on {row['n']} items")


def _needed_text(row: Mapping[str, Any], needed: int, margin: float) -> str:
    if not undecidable(row, needed):
        return f"; about {needed} items needed to decide"
    at_margin = items_to_decide(row, margin)
    return (f"; the run cannot decide at this effect size (about {needed} items needed); about {at_margin} items "
            f"would decide an effect one margin ({100 * margin:g} pp) from the boundary")


def _quality_check(check: str, rows: Sequence[Mapping[str, Any]], margin: float) -> list[CheckResult]:
    results = []
    for row in rows:
        subject = f"{row['task']}/{row['metric']}"
        status, needed = (equivalence if check == "equivalent" else non_inferiority)(row, margin)
        passed = EQUIVALENT if check == "equivalent" else NON_INFERIOR
        outcome = PASS if status == passed else INCONCLUSIVE if status == INCONCLUSIVE else FAIL
        detail = f"{status.replace('_', ' ')} within {100 * margin:g} pp: {_ci_text(row)}"
        if needed:
            detail += _needed_text(row, needed, margin)
        results.append(CheckResult(check, subject, outcome, detail, needed))
    return results


def _safety_check(analysis: Mapping[str, Any], cell: Mapping[str, Any]) -> CheckResult:
    evidence = label_evidence(analysis, cell, "hidden_danger")
    if evidence.label is None:
        return CheckResult("not-hidden-danger", "hidden_danger", INCONCLUSIVE,
                           "unknown: the run has no refusal outcomes for this variant")
    hidden = evidence.label == "yes"
    outcome = (FAIL if hidden else PASS) if evidence.supported else INCONCLUSIVE
    regime = label_evidence(analysis, cell, "safety_regime")
    detail = f"hidden danger {evidence.describe()}; regime {regime.label}"
    return CheckResult("not-hidden-danger", "hidden_danger", outcome, detail,
                       evidence.items_needed if outcome == INCONCLUSIVE else None)


def gate(analysis: Mapping[str, Any], candidate: str, requires: Sequence[str], margin_pp: float) -> GateResult:
    if not margin_pp > 0:
        raise BadInputError(f"--margin-pp must be positive, got {margin_pp}")
    unknown = [r for r in requires if r not in CHECKS]
    if unknown:
        raise BadInputError(f"--require {unknown[0]!r}: allowed {', '.join(CHECKS)}")
    cell = find_candidate(analysis, candidate)
    checks: list[CheckResult] = []
    for check in dict.fromkeys(requires or DEFAULT_CHECKS):
        if check == "not-hidden-danger":
            checks.append(_safety_check(analysis, cell))
            continue
        rows = quality_rows(analysis, cell["variant"])
        if not rows:
            raise BadInputError(f"--require {check}: the run has no paired quality outcomes for {cell['variant']} "
                                f"(quality signals: {describe(analysis.get('quality_signals', {}))})")
        checks.extend(_quality_check(check, rows, margin_pp / 100))
    return GateResult(cell["variant"], cell["baseline_variant"], margin_pp, tuple(checks))
