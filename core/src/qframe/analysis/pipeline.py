"""The analysis stage: cells, paired tests, classifier labels, decisions.

Its result is a plain mapping that reporters render and ``matrix.parquet`` stores:
``cells``, ``variant_notes`` (a sentence per baseline expanded from a quantized file and per alias), ``comparisons`` (each variant vs its baseline), ``adjacent`` (down each ladder),
``decision_matrix``, ``recommendations``, ``equivalence`` (between backends), ``planning`` (one minimum detectable effect per task
and metric, see :mod:`qframe.analysis.planning`), ``quality_signals`` (each task's quality score
and its kind, see :mod:`qframe.analysis.quality`), ``settings``, ``thresholds`` (of every
classifier, so reports print them), ``agreement`` (between judges), ``judge_summaries`` (each
judge's own aggregates, where it offers them), ``output_health`` (empty and cut-off answers)
``failures`` (items stored with an error, per variant and cause, see
:mod:`qframe.analysis.failures`), ``truthfulness`` (reference-based truthfulness rates beside the judge's, see
:mod:`qframe.analysis.truthfulness`) and ``seed`` (the experiment's seed, which seeds every
bootstrap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from qframe.analysis.cells import attach_steps, build_cells, variant_notes
from qframe.analysis.comparisons import adjacent_levels, compare_to_baselines
from qframe.analysis.data import RunData
from qframe.analysis.decisions import decision_matrix, recommendations
from qframe.analysis.equivalence import backend_equivalence
from qframe.analysis.failures import failed_items
from qframe.analysis.output_health import output_health
from qframe.analysis.planning import planning_table
from qframe.analysis.truthfulness import truthfulness_summary
from qframe.analysis.verdict_summaries import decided_labels, judge_agreement, judges_in
from qframe.config import AnalysisSection
from qframe.plugin_api.protocols import Classifier


def judge_agreements(data: RunData, seed: int = 42) -> list[dict[str, Any]]:
    """Raw agreement, kappa (bootstrap CI) and confusion of every pair of judges that share labels."""
    judges = judges_in(data.verdicts)
    rows = []
    for index, judge_a in enumerate(judges):
        for judge_b in judges[index + 1 :]:
            if not decided_labels(data.verdicts, judge_a) & decided_labels(data.verdicts, judge_b):
                continue  # different questions (e.g. refusal vs pairwise): not comparable
            result = judge_agreement(data.verdicts, judge_a, judge_b, seed=seed)
            if result is not None:
                confusion = {f"{a}|{b}": n for (a, b), n in result.confusion.items()}
                rows.append(attrs.asdict(result, filter=lambda f, _: f.name != "confusion") | {"confusion": confusion})
    return rows


def analyse(
    data: RunData,
    settings: AnalysisSection,
    classifiers: Sequence[Classifier],
    judge_summaries: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    seed: int = 42,
) -> dict[str, Any]:
    """The analysis of one run; ``seed`` is the experiment's seed (every bootstrap follows it)."""
    cells = build_cells(data, settings, seed)
    adjacent = adjacent_levels(data, settings, seed)
    attach_steps(cells, adjacent, settings)
    for classifier in classifiers:
        for cell, labels in zip(cells, classifier.classify(cells), strict=True):
            cell.update(labels)
    comparisons = compare_to_baselines(data, settings, seed)
    return {
        "cells": cells,
        "variant_notes": variant_notes(cells),
        "comparisons": comparisons,
        "adjacent": adjacent,
        "decision_matrix": decision_matrix(cells, settings.memory_tiers_gb),
        "recommendations": recommendations(cells),
        "planning": planning_table(data, settings),
        "quality_signals": data.quality_pools(settings.benchmark_metric),
        "settings": attrs.asdict(settings),
        "thresholds": {c.name: dict(getattr(c, "thresholds", {})) for c in classifiers},
        "agreement": judge_agreements(data, seed),
        "judge_summaries": dict(judge_summaries or {}),
        "equivalence": backend_equivalence(data, settings),
        "output_health": output_health(data, settings.output_flag_pp),
        "failures": failed_items(data),
        "truthfulness": truthfulness_summary(data, comparisons, settings),
        "seed": seed,
    }
