"""Fidelity of a variant to the baseline on the same items, from stored top-k log-probabilities.

Generated tokens are compared position by position over the prefix both variants share: at
temperature 0 the generated token is each model's top-1, so the two sequences are identical up
to the first position whose top-1 tokens differ, and that position is still conditioned on the
same prefix. Positions after it condition on different text and are not compared
(``params["alignment"] = "shared_prefix"``). The baseline variant itself scores ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qframe.protocols import ScoringItem
from qframe_metrics_fidelity.kl import TopLogprobs, mean_kl, top1_agreement


def comparable_positions(
    base: Sequence[TopLogprobs], variant: Sequence[TopLogprobs]
) -> tuple[list[TopLogprobs], list[TopLogprobs]]:
    """Positions up to and including the first whose top-1 tokens differ."""
    length = min(len(base), len(variant))
    for position in range(length):
        if _top1(base[position]) != _top1(variant[position]):
            length = position + 1
            break
    return list(base[:length]), list(variant[:length])


def _top1(position: TopLogprobs) -> str | None:
    return max(position, key=position.__getitem__) if position else None


def _as_positions(stored: Any) -> list[TopLogprobs] | None:
    if not stored:
        return None
    return [dict(position) for position in stored]


class FidelityMetric:
    params: Mapping[str, str] = {"alignment": "shared_prefix", "reference": "baseline variant"}

    def __init__(self, name: str, function: Callable[[Sequence[TopLogprobs], Sequence[TopLogprobs]], float]) -> None:
        self.name = name
        self._function = function

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        values: list[float | None] = []
        for item in items:
            if item.baseline_row is None or item.baseline_row["variant"] == item.variant:
                values.append(None)
                continue
            base = _as_positions(item.baseline_row.get("top_logprobs"))
            variant = _as_positions(item.row.get("top_logprobs"))
            if base is None or variant is None:
                values.append(None)
                continue
            values.append(self._function(*comparable_positions(base, variant)))
        return values


FUNCTIONS = {"kl_divergence": mean_kl, "top1_agreement": top1_agreement}


def make_metric(name: str, options: Mapping[str, Any]) -> FidelityMetric:
    """The metric registered under ``name`` (options are accepted and unused)."""
    return FidelityMetric(name, FUNCTIONS[name])
