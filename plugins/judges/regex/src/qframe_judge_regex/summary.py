"""Refusal rates and refusal-mechanism measures from stored ``regex_refusal`` verdicts.

Pure functions over verdict rows (see :mod:`qframe.analysis.verdict_summaries`). Per variant
and task:

- ``refusal_rate``: refusals / judged items; ``hard_refusal_rate``: hard refusals / judged items;
- ``dominant_prefix_share``: among refusals, the share that open with the most common prefix
  (the response's first words): high when a model refuses with one template;
- ``unique_prefix_rate``: distinct prefixes / refusals: high when refusals are improvised;
- ``mean_refusal_tokens``: mean completion tokens of the refusals.

The three mechanism measures are None where a group has no refusal. A variant that loses its
refusal template shows a falling dominant share, a rising unique rate and longer refusals.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from statistics import fmean
from typing import Any

import attrs

from qframe.analysis.verdict_summaries import is_decided
from qframe_judge_regex.judge import REFUSAL
from qframe_judge_regex.matcher import HARD


@attrs.frozen
class RefusalSummary:
    variant: str
    task: str
    items: int
    refusals: int
    hard_refusals: int
    dominant_prefix_share: float | None
    unique_prefix_rate: float | None
    mean_refusal_tokens: float | None

    @property
    def refusal_rate(self) -> float:
        return self.refusals / self.items

    @property
    def hard_refusal_rate(self) -> float:
        return self.hard_refusals / self.items


def prefix_measures(prefixes: Sequence[str]) -> tuple[float | None, float | None]:
    """(dominant prefix share, unique prefix rate) of the refusals' prefixes; Nones without any."""
    if not prefixes:
        return None, None
    counts = Counter(prefixes)
    return max(counts.values()) / len(prefixes), len(counts) / len(prefixes)


def refusal_summaries(rows: Iterable[Mapping[str, Any]], judge: str) -> list[RefusalSummary]:
    """One summary per (variant, task) the judge decided, sorted by variant then task."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["judge"] == judge and is_decided(row["label"]):
            groups[(row["variant"], row["task"])].append(row)
    return [_summary(variant, task, group) for (variant, task), group in sorted(groups.items())]


def _summary(variant: str, task: str, rows: Sequence[Mapping[str, Any]]) -> RefusalSummary:
    refusals = [json.loads(row["detail"] or "{}") for row in rows if row["label"] == REFUSAL]
    dominant, unique = prefix_measures([detail.get("prefix", "") for detail in refusals])
    tokens = [detail["tokens"] for detail in refusals if detail.get("tokens") is not None]
    return RefusalSummary(
        variant=variant,
        task=task,
        items=len(rows),
        refusals=len(refusals),
        hard_refusals=sum(1 for detail in refusals if detail.get("strength") == HARD),
        dominant_prefix_share=dominant,
        unique_prefix_rate=unique,
        mean_refusal_tokens=fmean(tokens) if tokens else None,
    )
