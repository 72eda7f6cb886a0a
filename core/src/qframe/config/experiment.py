"""The experiment: every section of a config, and the variants it resolves to.

:meth:`Experiment.resolved_variants` expands the ladder beside the explicit variants and gives
each model family exactly one baseline.
"""

from __future__ import annotations

import attrs

from qframe.config.sections import (
    AnalysisSection,
    DefaultsSection,
    ExecutorSection,
    ExperimentSection,
    FidelitySection,
    JudgeSection,
    LadderSection,
    PluginRef,
    RetrySection,
    ScheduleSection,
    StoreSection,
    TaskSection,
    VariantSection,
    non_empty,
)
from qframe.plugin_api.errors import ConfigError


@attrs.define
class Experiment:
    experiment: ExperimentSection
    tasks: list[TaskSection] = attrs.field(validator=non_empty)
    ladder: LadderSection | None = None
    variants: list[VariantSection] = attrs.Factory(list)
    metrics: list[PluginRef] = attrs.Factory(list)
    judges: dict[str, JudgeSection] = attrs.Factory(dict)
    classifiers: list[PluginRef] = attrs.Factory(list)
    reports: list[PluginRef] = attrs.Factory(list)
    schedule: ScheduleSection = attrs.Factory(ScheduleSection)
    concurrency: dict[str, int] = attrs.Factory(dict)
    retry: RetrySection = attrs.Factory(RetrySection)
    store: StoreSection = attrs.Factory(StoreSection)
    executor: ExecutorSection = attrs.Factory(ExecutorSection)
    analysis: AnalysisSection = attrs.Factory(AnalysisSection)
    defaults: DefaultsSection = attrs.Factory(DefaultsSection)
    fidelity: FidelitySection = attrs.Factory(FidelitySection)

    def resolved_variants(self) -> list[VariantSection]:
        """Explicit variants plus the ladder expanded, with exactly one baseline."""
        return resolve_variants(self)

    def baselines(self) -> dict[str, str]:
        """Variant id -> id of the baseline of its family."""
        variants = self.resolved_variants()
        baseline_of_family = {v.family: v.id for v in variants if v.baseline}
        return {v.id: baseline_of_family[v.family] for v in variants}


BASELINE_PREFERENCE: tuple[str, ...] = ("F32", "FP32", "BF16", "F16", "FP16", "Q8_0")
"""Quant labels chosen as a family's baseline, in order, when none is marked."""


def resolve_variants(experiment: Experiment) -> list[VariantSection]:
    """Explicit variants plus the ladder, each model family with exactly one baseline.

    A family is one model at several precisions (``family``, default ``""``: a single model).
    Its baseline is the variant marked ``baseline``, else the first of FP32/BF16/FP16/Q8_0
    present, else its first variant.
    """
    variants = list(experiment.variants)
    ladder = experiment.ladder
    if ladder is not None:
        if "{quant}" not in ladder.model:
            raise ConfigError(f"ladder.model: must contain '{{quant}}', got {ladder.model!r}")
        if ladder.baseline is not None and ladder.baseline not in ladder.quants:
            allowed = ", ".join(ladder.quants)
            raise ConfigError(f"ladder.baseline: {ladder.baseline!r} is not in ladder.quants; allowed: {allowed}")
        for quant in ladder.quants:
            variants.append(
                VariantSection(
                    id=quant if not ladder.family else f"{ladder.family}/{quant}",
                    backend=ladder.backend,
                    model=ladder.model.replace("{quant}", quant),
                    quant=quant,
                    baseline=quant == ladder.baseline,
                    family=ladder.family,
                    options=dict(ladder.options),
                )
            )
    if not variants:
        raise ConfigError("variants: no variants; add [ladder] or [[variants]]")
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        if variant.id in seen:
            raise ConfigError(f"variants[{index}].id: duplicate variant id {variant.id!r}")
        seen.add(variant.id)
    families: dict[str, list[int]] = {}
    for index, variant in enumerate(variants):
        families.setdefault(variant.family, []).append(index)
    for family, members in families.items():
        marked = [variants[i].id for i in members if variants[i].baseline]
        if len(marked) > 1:
            where = f"family {family!r}" if family else "variants"
            raise ConfigError(f"{where}: more than one baseline ({', '.join(marked)}); mark exactly one")
        if not marked:
            chosen = _preferred_baseline([variants[i] for i in members])
            position = next(i for i in members if variants[i].id == chosen.id)
            variants[position] = attrs.evolve(chosen, baseline=True)
    return variants


def _preferred_baseline(members: list[VariantSection]) -> VariantSection:
    by_quant = {variant.quant.upper(): variant for variant in members}
    return next((by_quant[q] for q in BASELINE_PREFERENCE if q in by_quant), members[0])
