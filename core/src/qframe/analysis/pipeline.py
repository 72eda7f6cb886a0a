"""The analysis stage: cells, paired tests, classifier labels, decisions.

Its result is a plain mapping that reporters render and ``matrix.parquet`` stores:
``cells``, ``comparisons`` (each variant vs its baseline), ``adjacent`` (down each ladder),
``decision_matrix``, ``recommendations``, ``settings`` and ``thresholds`` (of every classifier,
so reports print them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from qframe.analysis.cells import build_cells
from qframe.analysis.comparisons import adjacent_levels, compare_to_baselines
from qframe.analysis.data import RunData
from qframe.analysis.decisions import decision_matrix, recommendations
from qframe.config import AnalysisSection
from qframe.protocols import Classifier


def analyse(data: RunData, settings: AnalysisSection, classifiers: Sequence[Classifier]) -> dict[str, Any]:
    cells = build_cells(data, settings)
    for classifier in classifiers:
        for cell, labels in zip(cells, classifier.classify(cells), strict=True):
            cell.update(labels)
    return {
        "cells": cells,
        "comparisons": compare_to_baselines(data, settings),
        "adjacent": adjacent_levels(data, settings),
        "decision_matrix": decision_matrix(cells, settings.memory_tiers_gb),
        "recommendations": recommendations(cells),
        "settings": attrs.asdict(settings),
        "thresholds": {c.name: dict(getattr(c, "thresholds", {})) for c in classifiers},
    }
