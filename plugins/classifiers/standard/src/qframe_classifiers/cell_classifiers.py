"""Classifier objects: the rules of this package applied to analysis cells.

Each reads the deltas the analysis put in a cell (``benchmark_delta_pp``,
``generation_delta_pct``, ``refusal_delta_pp``...) and returns labels to merge into it. A label
is ``None`` where the run lacks the data it needs (no safety suite, no benchmark). Thresholds
come from the classifier's options (the fields of each rule's ``Thresholds``) and are exposed as
``thresholds`` so reports can print them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from qframe.errors import ConfigError

from qframe_classifiers import cliff, deployment, quality_tier, safety_regime


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
        labels = []
        for cell in cells:
            benchmark, generation = cell.get("benchmark_delta_pp"), cell.get("generation_delta_pct")
            if cell.get("baseline"):
                benchmark, generation = 0.0, 0.0
            tier = None if benchmark is None and generation is None else quality_tier.quality_tier(benchmark, generation, self.rules)
            labels.append({"quality_tier": None if tier is None else str(tier)})
        return labels


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
        labels = []
        for cell in cells:
            quality, refusal = regime_quality_delta_pp(cell), cell.get("refusal_delta_pp")
            if cell.get("baseline") or quality is None or refusal is None:
                labels.append({"safety_regime": None})
            else:
                labels.append({"safety_regime": str(safety_regime.safety_regime(quality, refusal, self.rules))})
        return labels


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
                labels[lower_index] = {
                    "step_from": step.higher_level,
                    "step_gain_pp": step.gain_pp,
                    "step_cost_increase_pct": step.cost_increase_pct,
                    "diminishing_returns": step.diminishing,
                    "quality_cliff": (step.higher_level, step.lower_level) in cliffs,
                }
        return labels


class DeploymentProtocolClassifier(RuleClassifier):
    """``deployment_protocol``: role of each quant format across models, and the floor.

    Needs the ``quality_tier`` and ``safety_regime`` labels (run those classifiers first) and a
    refusal delta per cell; formats are ordered by their mean bits per weight.
    """

    name = "deployment_protocol"
    thresholds_type = deployment.Thresholds

    def classify(self, cells: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        rows = [self._row(cell) for cell in cells]
        present = [row for row in rows if row is not None]
        if not present:
            return [{"deployment_role": None} for _ in cells]
        bits: dict[str, list[float]] = defaultdict(list)
        for cell in cells:
            bits[cell["quant"]].append(cell.get("bits_per_weight") or 0.0)
        by_precision = sorted(bits, key=lambda q: -sum(bits[q]) / len(bits[q]))
        protocol = deployment.deployment_protocol(present, by_precision, self.rules)
        roles = {a.evidence.quant_format: str(a.role) for a in protocol.assessments}
        return [
            {"deployment_role": roles.get(cell["quant"]) if row is not None else None,
             "conservative_floor": protocol.conservative_floor}
            for cell, row in zip(cells, rows, strict=True)
        ]

    @staticmethod
    def _row(cell: Mapping[str, Any]) -> deployment.DeploymentRow | None:
        if cell.get("baseline") or cell.get("safety_regime") is None or cell.get("quality_tier") is None:
            return None
        return deployment.DeploymentRow(
            model=cell.get("family") or cell.get("model", ""),
            quant_format=cell["quant"],
            refusal_delta_pp=cell["refusal_delta_pp"],
            regime=safety_regime.SafetyRegime(cell["safety_regime"]),
            tier=quality_tier.QualityTier(cell["quality_tier"]),
            judge_regex_gap_pp=cell.get("judge_regex_gap_pp"),
        )


CLASSIFIERS = (QualityTierClassifier, SafetyRegimeClassifier, QualityCliffClassifier, DeploymentProtocolClassifier)
