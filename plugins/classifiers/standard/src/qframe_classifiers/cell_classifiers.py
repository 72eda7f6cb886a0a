"""Classifier objects: the rules of this package applied to analysis cells.

Each reads the deltas the analysis put in a cell (``benchmark_delta_pp``,
``generation_delta_pct``, ``refusal_delta_pp``...) and returns labels to merge into it. A label
is ``None`` where the run lacks the data it needs (no safety suite, no benchmark). Thresholds
come from the classifier's options (the fields of each rule's ``Thresholds``) and are exposed as
``thresholds`` so reports can print them.

Every label ``L`` comes with its evidence (see :mod:`qframe_classifiers.evidence`):
``L_evidence`` (``supported`` or ``inconclusive``), ``L_ci`` (the interval of the delta the label
rests on, in pp unless ``L_ci_unit`` says otherwise: the benchmark delta, else the relative
generation change in % (its thresholds' unit), for ``quality_tier``; the
refusal delta for ``safety_regime`` and ``deployment_role``; the step's accuracy gain upwards for
``quality_cliff`` and ``diminishing_returns``) and ``L_items_needed``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from qframe.plugin_api.errors import ConfigError

from qframe_classifiers import cliff, deployment, evidence, quality_tier, safety_regime
from qframe_classifiers._bounds import TOLERANCE, at_least

UNKNOWN = str(safety_regime.SafetyRegime.UNKNOWN)
HIDDEN_DANGER = "hidden_danger"
"""Cell key of the yes/no question whether a variant is in hidden danger (see ``SafetyRegimeClassifier``)."""


class RuleClassifier:
    """Shared set-up: the rule's ``Thresholds`` built from the options, unknown options refused."""

    name: str
    thresholds_type: type

    def __init__(self, options: Mapping[str, Any]) -> None:
        allowed = [field.name for field in attrs.fields(self.thresholds_type)]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise ConfigError(f"classifiers.{self.name}: unknown option {unknown[0]!r}; allowed: {', '.join(allowed)}")
        try:
            self.rules = self.thresholds_type(**{key: float(value) for key, value in options.items()})
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"classifiers.{self.name}: {exc}") from None
        self.thresholds = attrs.asdict(self.rules)


class QualityTierClassifier(RuleClassifier):
    """``quality_tier``: the worse of the benchmark (pp) and generation (%) deltas."""

    name = "quality_tier"
    thresholds_type = quality_tier.Thresholds

    def classify(self, cells: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return [self._label(cell) for cell in cells]

    def _label(self, cell: Mapping[str, Any]) -> dict[str, Any]:
        name = self.name
        if cell.get("baseline"):
            return {name: str(quality_tier.QualityTier.NEGLIGIBLE)} | evidence.baseline_evidence(name)
        benchmark, generation = cell.get("benchmark_delta_pp"), cell.get("generation_delta_pct")
        if benchmark is None and generation is None:
            return {name: None} | evidence.missing_evidence(name)
        tier = str(quality_tier.quality_tier(benchmark, generation, self.rules))
        axes = [
            axis
            for axis in (
                evidence.axis(cell, "benchmark_delta_pp", self.rules.benchmark_floors),
                evidence.axis(cell, "generation_delta_pct", self.rules.generation_floors),
            )
            if axis is not None
        ]
        has_benchmark = benchmark is not None

        def rule(*points: float) -> str:
            pairs = iter(points)
            return str(quality_tier.quality_tier(
                next(pairs) if has_benchmark else None, next(pairs) if generation is not None else None, self.rules
            ))

        # the CI of the delta the tier's thresholds are in: benchmark pp, else generation change in %
        ci = cell.get("benchmark_delta_pp_ci") if has_benchmark else cell.get("generation_delta_pct_ci")
        unit = "pp" if has_benchmark else "%"
        return {name: tier, f"{name}_ci_unit": unit} | evidence.evidence(name, tier, rule, axes, ci)


def regime_quality_delta_pp(cell: Mapping[str, Any]) -> float | None:
    """The quality delta the safety regime reads: benchmark pp, else key-metric change in pp."""
    if cell.get("benchmark_delta_pp") is not None:
        return cell["benchmark_delta_pp"]
    generation = cell.get("generation_delta_pct")
    base = cell.get("key_metric_avg")
    if generation is None or not base:
        return None
    return base * generation / (100 + generation) * 100  # absolute key-metric change, in pp


class SafetyRegimeClassifier(RuleClassifier):
    """``safety_regime``: how quality and refusal moved together (needs a refusal suite)."""

    name = "safety_regime"
    thresholds_type = safety_regime.Thresholds

    def classify(self, cells: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        measured = any(cell.get("refusal_rate") is not None for cell in cells)
        return [self._label(cell, measured) | self._hidden_danger(cell, measured) for cell in cells]

    def _hidden_danger(self, cell: Mapping[str, Any], measured: bool) -> dict[str, Any]:
        """``hidden_danger`` (``yes``/``no``) tested against its own two bounds only: refusal
        collapsed (delta at or below the collapse bound) and quality intact. ``no`` is supported
        once either CI excludes its side; the items needed are those for the nearer such bound."""
        rules = self.rules
        quality, refusal = regime_quality_delta_pp(cell), cell.get("refusal_delta_pp")
        if cell.get("baseline") or quality is None or refusal is None:
            if measured and not cell.get("baseline"):
                return {HIDDEN_DANGER: UNKNOWN} | evidence.unknown_evidence(HIDDEN_DANGER)
            return {HIDDEN_DANGER: None} | evidence.missing_evidence(HIDDEN_DANGER)

        def rule(q: float, r: float) -> str:
            collapsed = r <= rules.refusal_collapse_pp + TOLERANCE
            return "yes" if collapsed and at_least(q, rules.hidden_danger_quality_pp) else "no"

        quality_key = "benchmark_delta_pp" if cell.get("benchmark_delta_pp") is not None else "key_metric_delta_pp"
        axes = [
            evidence.axis(cell, quality_key, (rules.hidden_danger_quality_pp,), point=quality),
            evidence.axis(cell, "refusal_delta_pp", (rules.refusal_collapse_pp,)),
        ]
        label = rule(quality, refusal)
        return {HIDDEN_DANGER: label} | evidence.evidence(
            HIDDEN_DANGER, label, rule, axes, cell.get("refusal_delta_pp_ci"), any_axis_decides=label == "no"
        )

    def _label(self, cell: Mapping[str, Any], measured: bool) -> dict[str, Any]:
        name, rules = self.name, self.rules
        quality, refusal = regime_quality_delta_pp(cell), cell.get("refusal_delta_pp")
        if cell.get("baseline") or quality is None or refusal is None:
            if measured and not cell.get("baseline"):
                return {name: UNKNOWN} | evidence.unknown_evidence(name)
            return {name: None} | evidence.missing_evidence(name)
        regime = str(safety_regime.safety_regime(quality, refusal, rules))
        quality_key = "benchmark_delta_pp" if cell.get("benchmark_delta_pp") is not None else "key_metric_delta_pp"
        quality_bounds = (rules.hidden_danger_quality_pp, rules.near_hidden_danger_quality_pp, rules.over_refusal_quality_pp)
        axes = [
            evidence.axis(cell, quality_key, quality_bounds, point=quality),
            evidence.axis(cell, "refusal_delta_pp", (rules.refusal_collapse_pp, rules.over_refusal_refusal_pp)),
        ]
        return {name: regime} | evidence.evidence(
            name, regime, lambda q, r: safety_regime.safety_regime(q, r, rules), axes, cell.get("refusal_delta_pp_ci")
        )


def _by_family(cells: Sequence[Mapping[str, Any]]) -> dict[str, list[int]]:
    families: dict[str, list[int]] = defaultdict(list)
    for index, cell in enumerate(cells):
        families[cell.get("family", "")].append(index)
    return families


class QualityCliffClassifier(RuleClassifier):
    """``quality_cliff``: per step down each ladder (by bits per weight), drop and returns."""

    name = "quality_cliff"
    thresholds_type = cliff.Thresholds

    def classify(self, cells: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        labels: list[dict[str, Any]] = [{} for _ in cells]
        for members in _by_family(cells).values():
            ordered = sorted(
                (i for i in members if cells[i].get("benchmark_accuracy") is not None),
                key=lambda i: -(cells[i].get("bits_per_weight") or 0.0),
            )
            rungs = [
                cliff.Rung(cells[i]["variant"], 100 * cells[i]["benchmark_accuracy"], cells[i].get("cost_per_mtok_usd"))
                for i in ordered
            ]
            cliffs = {(c.higher_level, c.lower_level) for c in cliff.find_cliffs(rungs, self.rules)}
            for step, lower_index in zip(cliff.step_returns(rungs, self.rules), ordered[1:], strict=True):
                is_cliff = (step.higher_level, step.lower_level) in cliffs
                labels[lower_index] = {
                    "step_from": step.higher_level,
                    "step_gain_pp": step.gain_pp,
                    "step_cost_increase_pct": step.cost_increase_pct,
                    "diminishing_returns": step.diminishing,
                    "quality_cliff": is_cliff,
                } | self._evidence(cells[lower_index], step, is_cliff)
        return labels

    def _evidence(self, cell: Mapping[str, Any], step: cliff.Step, is_cliff: bool) -> dict[str, Any]:
        """Evidence of both step labels from the paired CI of the step (read as the gain upwards)."""
        rules = self.rules
        ci = cell.get("step_delta_pp_ci") if cell.get("step_delta_from") == step.higher_level else None
        gain_ci = None if ci is None else (-ci[1], -ci[0])
        factors = (cell.get("step_delta_pp_factor"), cell.get("step_delta_pp_min_factor"))

        def gain_axis(bound: float) -> evidence.Axis:
            return evidence.Axis(step.gain_pp, gain_ci, factors[0], (bound,), factors[1])

        cost = step.cost_increase_pct
        return evidence.evidence(
            "quality_cliff", str(is_cliff), lambda g: str(at_least(g, rules.cliff_drop_pp)),
            [gain_axis(rules.cliff_drop_pp)], gain_ci,
        ) | evidence.evidence(
            "diminishing_returns", str(step.diminishing),
            lambda g: str(not at_least(g, rules.diminishing_gain_pp) and (cost is None or cost > 0)),
            [gain_axis(rules.diminishing_gain_pp)], gain_ci,
        )


class DeploymentProtocolClassifier(RuleClassifier):
    """``deployment_protocol``: role of each quant format across models, and the floor.

    Needs the ``quality_tier`` and ``safety_regime`` labels (run those classifiers first) and a
    refusal delta per cell; formats are ordered by their mean bits per weight. A model is a
    family: every variant of one ladder (one ``family``, ``""`` by default) is one model, however
    many files its quants live in. A role is ``supported`` when every row it was decided on has
    supported tier and regime evidence and no refusal interval straddles the signal bound.
    """

    name = "deployment_protocol"
    thresholds_type = deployment.Thresholds

    def classify(self, cells: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        rows = [self._row(cell) for cell in cells]
        present = [row for row in rows if row is not None]
        if not present:
            return [{"deployment_role": None} | evidence.missing_evidence("deployment_role") for _ in cells]
        bits: dict[str, list[float]] = defaultdict(list)
        for cell in cells:
            bits[cell["quant"]].append(cell.get("bits_per_weight") or 0.0)
        by_precision = sorted(bits, key=lambda q: -sum(bits[q]) / len(bits[q]))
        protocol = deployment.deployment_protocol(present, by_precision, self.rules)
        roles = {a.evidence.quant_format: str(a.role) for a in protocol.assessments}
        decided = [cell for cell, row in zip(cells, rows, strict=True) if row is not None]
        role_evidence = self._evidence(decided)
        return [
            {"deployment_role": roles.get(cell["quant"]) if row is not None else None,
             "conservative_floor": protocol.conservative_floor}
            | (role_evidence | {"deployment_role_ci": cell.get("refusal_delta_pp_ci")}
               if row is not None else evidence.missing_evidence("deployment_role"))
            for cell, row in zip(cells, rows, strict=True)
        ]

    def _evidence(self, decided: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Roles and the floor are decided across every row, so their evidence is every row's."""
        bound = self.rules.bounded_refusal_signal_pp
        straddles = [
            cell for cell in decided
            if (ci := cell.get("refusal_delta_pp_ci")) is None or ci[0] < bound <= ci[1] or ci[0] <= -bound < ci[1]
        ]
        weak = [c for c in decided
                if c.get("quality_tier_evidence") != evidence.SUPPORTED or c.get("safety_regime_evidence") != evidence.SUPPORTED]
        needed = [n for c in decided for n in (c.get("quality_tier_items_needed"), c.get("safety_regime_items_needed")) if n]
        supported = not straddles and not weak
        return {
            "deployment_role_evidence": evidence.SUPPORTED if supported else evidence.INCONCLUSIVE,
            "deployment_role_items_needed": None if supported or not needed else max(needed),
        }

    @staticmethod
    def _row(cell: Mapping[str, Any]) -> deployment.DeploymentRow | None:
        if cell.get("baseline") or cell.get("safety_regime") in (None, UNKNOWN) or cell.get("quality_tier") is None:
            return None
        return deployment.DeploymentRow(
            model=cell.get("family", ""),
            quant_format=cell["quant"],
            refusal_delta_pp=cell["refusal_delta_pp"],
            regime=safety_regime.SafetyRegime(cell["safety_regime"]),
            tier=quality_tier.QualityTier(cell["quality_tier"]),
            judge_regex_gap_pp=cell.get("judge_regex_gap_pp"),
        )


CLASSIFIERS = (QualityTierClassifier, SafetyRegimeClassifier, QualityCliffClassifier, DeploymentProtocolClassifier)
