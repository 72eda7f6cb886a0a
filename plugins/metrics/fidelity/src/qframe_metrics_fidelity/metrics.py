"""Per-item fidelity of a variant to the baseline, from top-k log-probabilities stored with the
generations.

Generated tokens are compared position by position over the prefix both variants share
(``params["alignment"] = "shared_prefix"``, see :func:`qframe.fidelity.topk.comparable_positions`).
The baseline variant itself scores ``None``. These per-item scores are optional extras: the run's
fidelity stage (``[fidelity]``, :mod:`qframe.fidelity`) measures fidelity teacher-forced on the
baseline's own tokens, per position.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qframe.fidelity.topk import TopLogprobs, comparable_positions, mean_kl, top1_agreement
from qframe.plugin_api.protocols import ScoringItem


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
