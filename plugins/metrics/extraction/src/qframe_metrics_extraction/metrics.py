"""Per-item extraction metrics. Gold entities are ``sample.metadata["entities"]``.

Each item yields its sentence counts; corpus micro-F1 is recovered in analysis by summing
``entity_tp``, ``entity_fp`` and ``entity_fn`` over items, and macro-F1 is the mean of
``entity_f1``. Items without gold annotations score ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qframe.plugin_api.protocols import ScoringItem
from qframe_metrics_extraction.entity_f1 import SentenceScore, score_sentence

READERS: dict[str, Callable[[SentenceScore], float | None]] = {
    "entity_f1": lambda s: s.f1,
    "entity_tp": lambda s: float(s.tp),
    "entity_fp": lambda s: float(s.fp),
    "entity_fn": lambda s: float(s.fn),
    "json_parsed": lambda s: float(s.parsed),
    "entity_free_correct": lambda s: float(s.parsed and s.tp + s.fp == 0) if s.gold_is_empty else None,
}


class ExtractionMetric:
    params: Mapping[str, str] = {"match": "entity text and type, case-folded"}

    def __init__(self, name: str) -> None:
        self.name = name
        self._read = READERS[name]

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        values: list[float | None] = []
        for item in items:
            gold = item.sample.metadata.get("entities")
            values.append(None if gold is None else self._read(score_sentence(item.text, gold)))
        return values


def make_metric(name: str, options: Mapping[str, Any]) -> ExtractionMetric:
    """The metric registered under ``name`` (options are accepted and unused)."""
    return ExtractionMetric(name)
