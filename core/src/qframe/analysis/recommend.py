"""Which variant to ship under a user's constraints, and why each other variant was excluded.

Used by ``qframe recommend`` and by the HTML report's per-memory-tier summary, so both give the
same answer and the same reasons. A variant is *eligible* when it meets every constraint:

- memory: its memory estimate (else file size) is at most ``memory_gb``;
- quality: its quality tier is at least as mild as ``min_quality_tier`` (a baseline is
  ``negligible`` by definition);
- speed: its native decode rate is at least ``min_tokens_per_s``;
- safety: its safety regime is not one the ``safety`` policy forbids; a variant of a run that
  measured refusal but without refusal outcomes of its own has regime ``unknown``, which every
  policy but ``any`` forbids (never taken as safe);
- with ``supported_only``, the tier it is judged on must be supported by its CI, and so must the
  safety condition the policy asks (``no-hidden-danger``: hidden danger excluded by its own
  bounds; ``no-near-hidden-danger``: the regime).

Eligible variants are ranked by quality (pooled benchmark accuracy, else the key-metric
average), then native tokens/s, then smaller memory; but a variant of the top one's family
whose quality-delta CI covers the top one's delta cannot be told from it by the run, and among
those the smallest (then the fastest) comes first: noise never decides between them.

The pick is *provisional* when the evidence it rests on is inconclusive (its quality tier, or
the safety condition the policy asks) or the run measured no safety at all while the policy
asks for it; ``qframe recommend`` then exits 4. An exclusion that rests on an inconclusive label
is marked provisional too. Each reason quotes the evidence: the label with its CI and whether
the CI supports it, and the deltas it rests on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from qframe.analysis.decisions import QUALITY_TIERS, memory_of, quality_of
from qframe.analysis.evidence import Evidence, label_evidence

SAFETY_POLICIES: dict[str, tuple[str, ...]] = {
    "any": (),
    "no-hidden-danger": ("hidden_danger", "unknown"),
    "no-near-hidden-danger": ("hidden_danger", "near_hidden_danger", "unknown"),
}
"""Safety policy -> the regimes it forbids."""

CONSTRAINT_KINDS = ("memory", "quality", "speed", "safety")


@attrs.frozen
class Constraints:
    memory_gb: float | None = None
    min_quality_tier: str = "acceptable"
    min_tokens_per_s: float | None = None
    safety: str = "no-hidden-danger"
    supported_only: bool = False

    def __attrs_post_init__(self) -> None:
        if self.min_quality_tier not in QUALITY_TIERS:
            raise ValueError(f"unknown quality tier {self.min_quality_tier!r}; allowed: {', '.join(QUALITY_TIERS)}")
        if self.safety not in SAFETY_POLICIES:
            raise ValueError(f"unknown safety policy {self.safety!r}; allowed: {', '.join(SAFETY_POLICIES)}")
        for name in ("memory_gb", "min_tokens_per_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name.replace('_', '-')} must be positive, got {value}")

    def describe(self) -> str:
        parts = [f"memory <= {self.memory_gb:g} GB" if self.memory_gb else "any memory",
                 f"quality tier {self.min_quality_tier} or better"]
        if self.min_tokens_per_s:
            parts.append(f">= {self.min_tokens_per_s:g} native tok/s")
        parts.append(f"safety {self.safety}")
        if self.supported_only:
            parts.append("labels supported by their CIs")
        return ", ".join(parts)


@attrs.frozen
class Exclusion:
    constraint: str
    reason: str
    provisional: bool = False
    """The exclusion rests on a label whose CI does not support it."""


@attrs.frozen
class Assessment:
    """One variant against the constraints."""

    cell: Mapping[str, Any]
    quality: Evidence
    safety: Evidence
    exclusions: tuple[Exclusion, ...]
    hidden_danger: Evidence = Evidence(None)

    @property
    def variant(self) -> str:
        return self.cell["variant"]

    @property
    def eligible(self) -> bool:
        return not self.exclusions

    def why_not(self) -> str:
        return "; ".join(e.reason for e in self.exclusions)

    @property
    def rejected(self) -> bool:
        """Excluded on supported evidence (not only on an inconclusive label)."""
        return any(not e.provisional for e in self.exclusions)

    def as_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "eligible": self.eligible,
            "quality": quality_of(self.cell),
            "memory_gb": memory_of(self.cell),
            "native_tps": self.cell.get("native_tps"),
            "quality_tier": attrs.asdict(self.quality),
            "safety_regime": attrs.asdict(self.safety),
            "deltas": deltas_text(self.cell),
            "excluded_by": [attrs.asdict(e) for e in self.exclusions],
        }


@attrs.frozen
class Recommendation:
    constraints: Constraints
    ranked: tuple[Assessment, ...]
    binding: tuple[str, ...]
    """When nothing is eligible: the constraints that, dropped alone, would let a variant through
    (every constraint that excludes something, when no single one would)."""
    provisional: tuple[str, ...] = ()
    """Why the pick is provisional (empty when its evidence supports it)."""

    @property
    def eligible(self) -> list[Assessment]:
        return [a for a in self.ranked if a.eligible]

    @property
    def best(self) -> Assessment | None:
        return self.eligible[0] if self.eligible else None

    @property
    def runner_up(self) -> Assessment | None:
        return self.eligible[1] if len(self.eligible) > 1 else None

    @property
    def excluded(self) -> list[Assessment]:
        return [a for a in self.ranked if not a.eligible]

    def as_dict(self) -> dict[str, Any]:
        return {
            "constraints": attrs.asdict(self.constraints),
            "best": self.best.variant if self.best else None,
            "provisional": list(self.provisional),
            "runner_up": self.runner_up.variant if self.runner_up else None,
            "binding_constraints": list(self.binding),
            "variants": [a.as_dict() for a in self.ranked],
        }


def _pp(value: float | None, unit: str = "pp") -> str | None:
    return None if value is None else f"{value:+.1f} {unit}"


def deltas_text(cell: Mapping[str, Any]) -> str:
    """The deltas against the baseline a label rests on, e.g. ``bench -7.5 pp, refusal -16.7 pp``."""
    parts = [(name, _pp(cell.get(key), unit)) for name, key, unit in (
        ("bench", "benchmark_delta_pp", "pp"), ("generation", "generation_delta_pct", "%"),
        ("refusal", "refusal_delta_pp", "pp"))]
    return ", ".join(f"{name} {text}" for name, text in parts if text) or "no deltas"


def _quality_exclusion(cell: Mapping[str, Any], quality: Evidence, constraints: Constraints) -> Exclusion | None:
    wanted = constraints.min_quality_tier
    if quality.label is None:
        return Exclusion("quality", "no quality tier (the run measured no quality delta)")
    if QUALITY_TIERS.index(quality.label) > QUALITY_TIERS.index(wanted):
        return Exclusion("quality", f"quality tier {quality.describe()} is below {wanted} [{deltas_text(cell)}]",
                         provisional=quality.status is not None and not quality.supported)
    if constraints.supported_only and quality.status is not None and not quality.supported:
        return Exclusion("quality", f"quality tier {quality.describe()} is not supported by its CI")
    return None


def _safety_exclusion(cell: Mapping[str, Any], safety: Evidence, hidden: Evidence,
                      constraints: Constraints) -> Exclusion | None:
    forbidden = SAFETY_POLICIES[constraints.safety]
    if safety.label == "unknown" and forbidden:
        return Exclusion("safety", "safety regime unknown: the run measured refusal but this variant has no refusal "
                         "outcome (its judge unparsed or errored on every item)")
    if safety.label in forbidden:
        return Exclusion("safety", f"safety regime {safety.describe()} [{deltas_text(cell)}]",
                         provisional=safety.status is not None and not safety.supported)
    if constraints.supported_only and forbidden:
        asked = hidden if constraints.safety == "no-hidden-danger" else safety
        if asked.status is not None and not asked.supported:
            what = "hidden danger" if asked is hidden else "safety regime"
            return Exclusion("safety", f"{what} {asked.describe()} is not supported by its CI", provisional=True)
    return None


def assess(analysis: Mapping[str, Any], cell: Mapping[str, Any], constraints: Constraints) -> Assessment:
    quality = label_evidence(analysis, cell, "quality_tier")
    if cell.get("baseline"):
        quality = Evidence("negligible", note="baseline")
    safety = label_evidence(analysis, cell, "safety_regime")
    hidden = label_evidence(analysis, cell, "hidden_danger")
    exclusions = []
    memory = memory_of(cell)
    if constraints.memory_gb is not None:
        if memory is None:
            exclusions.append(Exclusion("memory", "memory footprint unknown"))
        elif memory > constraints.memory_gb:
            exclusions.append(Exclusion("memory", f"needs {memory:.3g} GB > {constraints.memory_gb:g} GB"))
    if (excluded := _quality_exclusion(cell, quality, constraints)) is not None:
        exclusions.append(excluded)
    if constraints.min_tokens_per_s is not None:
        tps = cell.get("native_tps")
        if tps is None:
            exclusions.append(Exclusion("speed", "native decode rate not measured"))
        elif tps < constraints.min_tokens_per_s:
            cv = cell.get("native_tps_cv")
            spread = f", CV {cv:.2f}" if cv is not None else ""
            exclusions.append(Exclusion("speed", f"{tps:.1f} native tok/s{spread} < {constraints.min_tokens_per_s:g}"))
    if (excluded := _safety_exclusion(cell, safety, hidden, constraints)) is not None:
        exclusions.append(excluded)
    return Assessment(cell, quality, safety, tuple(exclusions), hidden)


def _rank_key(assessment: Assessment) -> tuple[bool, float, float, float]:
    cell = assessment.cell
    memory = memory_of(cell)
    return (not assessment.eligible, -(quality_of(cell) or 0.0), -(cell.get("native_tps") or 0.0),
            memory if memory is not None else float("inf"))


def quality_delta(cell: Mapping[str, Any]) -> tuple[float, tuple[float, float]] | None:
    """The quality delta ``quality_of`` ranks by, with its CI (pp; a baseline is its own zero)."""
    if cell.get("baseline"):
        return 0.0, (0.0, 0.0)
    key = "benchmark_delta_pp" if cell.get("benchmark_accuracy") is not None else "key_metric_delta_pp"
    value, interval = cell.get(key), cell.get(f"{key}_ci")
    return (value, (interval[0], interval[1])) if value is not None and interval else None


def indistinguishable(top: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether the run cannot tell ``other``'s quality from ``top``'s: same family (the same
    baseline) and ``other``'s quality-delta CI covers ``top``'s delta."""
    if top.get("family") != other.get("family"):
        return False
    best, candidate = quality_delta(top), quality_delta(other)
    return best is not None and candidate is not None and candidate[1][0] <= best[0] <= candidate[1][1]


def _smaller_first(eligible: list[Assessment]) -> list[Assessment]:
    """The variants indistinguishable from the best in quality, smallest then fastest first; then the rest."""
    if not eligible:
        return eligible
    top = eligible[0].cell
    ties = [a for a in eligible if indistinguishable(top, a.cell)]
    ties.sort(key=lambda a: (memory_of(a.cell) if memory_of(a.cell) is not None else float("inf"),
                             -(a.cell.get("native_tps") or 0.0)))
    return ties + [a for a in eligible if a not in ties]


def provisional_reasons(best: Assessment | None, constraints: Constraints, cells: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """Why the pick's evidence does not support it (see the module docstring)."""
    if best is None:
        return ()
    reasons = []
    if best.quality.status is not None and not best.quality.supported:
        reasons.append(f"quality tier {best.quality.describe()}")
    forbidden = SAFETY_POLICIES[constraints.safety]
    if forbidden and not best.cell.get("baseline"):
        if not any(c.get("refusal_rate") is not None for c in cells):
            reasons.append("safety not measured: the run has no refusal outcomes")
        else:
            asked = best.hidden_danger if constraints.safety == "no-hidden-danger" else best.safety
            if asked.status is not None and not asked.supported:
                reasons.append(f"{'hidden danger' if asked is best.hidden_danger else 'safety regime'} {asked.describe()}")
    return tuple(reasons)


def _binding(assessments: Sequence[Assessment]) -> tuple[str, ...]:
    if any(a.eligible for a in assessments):
        return ()
    kinds = {e.constraint for a in assessments for e in a.exclusions}
    alone = [k for k in CONSTRAINT_KINDS if any({e.constraint for e in a.exclusions} == {k} for a in assessments)]
    return tuple(alone or [k for k in CONSTRAINT_KINDS if k in kinds])


def recommend(analysis: Mapping[str, Any], constraints: Constraints) -> Recommendation:
    """Every variant of the analysis assessed and ranked under ``constraints``."""
    assessments = sorted((assess(analysis, cell, constraints) for cell in analysis["cells"]), key=_rank_key)
    eligible = _smaller_first([a for a in assessments if a.eligible])
    ranked = eligible + [a for a in assessments if not a.eligible]
    best = eligible[0] if eligible else None
    return Recommendation(constraints, tuple(ranked), _binding(assessments),
                          provisional_reasons(best, constraints, analysis["cells"]))


def _summary(assessment: Assessment) -> str:
    cell = assessment.cell
    quality, memory, tps = quality_of(cell), memory_of(cell), cell.get("native_tps")
    facts = [f"quality {quality:.3f}" if quality is not None else "quality n/a",
             f"{memory:.3g} GB" if memory is not None else "memory n/a",
             f"{tps:.1f} tok/s" if tps is not None else "tok/s n/a"]
    labels = [f"tier {assessment.quality.describe()}"]
    if assessment.safety.label is not None:
        labels.append(f"regime {assessment.safety.describe()}")
    return f"{assessment.variant}: {', '.join(facts)}; {'; '.join(labels)}; {deltas_text(cell)}"


def recommendation_lines(recommendation: Recommendation) -> list[str]:
    """The text form of ``qframe recommend``."""
    lines = [f"constraints: {recommendation.constraints.describe()}"]
    if recommendation.best is None:
        lines.append(f"no variant meets the constraints; binding: {', '.join(recommendation.binding)}")
    else:
        lines.append(f"best: {_summary(recommendation.best)}")
        if recommendation.provisional:
            lines.append(f"provisional: the evidence does not support this pick ({'; '.join(recommendation.provisional)})")
        runner = recommendation.runner_up
        lines.append(f"runner-up: {_summary(runner)}" if runner else "runner-up: none")
    lower = recommendation.eligible[2:]
    if lower:
        lines.append("also eligible, ranked lower (indistinguishable quality first by size, then quality, tok/s, memory):")
        lines.extend(f"  {_summary(a)}" for a in lower)
    excluded = recommendation.excluded
    if excluded:
        lines.append("excluded:")
        lines.extend(f"  {a.variant}: {a.why_not()}{'' if a.rejected else ' (provisional)'}" for a in excluded)
    return lines
