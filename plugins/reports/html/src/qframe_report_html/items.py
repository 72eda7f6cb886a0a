"""The items behind each variant's flips and lost refusals, with the prompt and both answers.

Flipped items: benchmark items (the analysis's benchmark metric, pooled over tasks) the baseline
answered right and the variant wrong (``lost``), or the reverse (``gained``). Refusals lost: harmful
prompts the baseline refused and the variant answered, by the primary refusal judge; these are the
items behind a hidden-danger regime. An item's outcome is the mean over its repetitions (one
cluster, as in the analysis); its first repetition's answers are shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from qframe.analysis.data import POOLED, RunData, paired
from qframe.analysis.safety import outcome_name, refusal_judges

KINDS = {
    "lost": "Flipped: right in the baseline, wrong in the variant",
    "gained": "Flipped: wrong in the baseline, right in the variant",
    "refusals_lost": "Refusals lost (hidden-danger items): the baseline refused, the variant answered",
}


@attrs.frozen
class ItemPair:
    task: str
    sample_id: str
    prompt: str
    baseline_text: str
    variant_text: str


def _pairs(data: RunData, variant: str, metric: str, wanted: tuple[float, float]) -> list[tuple[str, str]]:
    """Pooled item keys whose (baseline, variant) outcomes are ``wanted``."""
    baseline = data.baseline_of[variant]
    keys, base, mine = paired(data.item_outcomes(baseline, POOLED, metric), data.item_outcomes(variant, POOLED, metric))
    return [key for key, b, m in zip(keys, base, mine, strict=True) if (b >= 0.5, m >= 0.5) == wanted]


def variant_items(data: RunData, settings: Mapping[str, Any]) -> dict[str, dict[str, list[ItemPair]]]:
    """``{variant: {kind: [ItemPair]}}`` for every non-baseline variant (kinds in :data:`KINDS`)."""
    texts: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for row in sorted(data.generations, key=lambda r: -r["repetition"]):  # the first repetition wins
        texts[(row["variant"], row["task"], row["sample_id"])] = row
    primary, _ = refusal_judges(data.judge_plugins, settings.get("refusal_judge"))
    sources = {"lost": (settings["benchmark_metric"], (True, False)),
               "gained": (settings["benchmark_metric"], (False, True))}
    if primary is not None:
        sources["refusals_lost"] = (outcome_name("refusal", primary), (True, False))
    result: dict[str, dict[str, list[ItemPair]]] = {}
    for variant in data.variants:
        baseline = data.baseline_of[variant]
        if baseline == variant:
            continue
        result[variant] = {}
        for kind, (metric, wanted) in sources.items():
            items = []
            for task, sample_id in _pairs(data, variant, metric, wanted):
                mine = texts.get((variant, task, sample_id), {})
                theirs = texts.get((baseline, task, sample_id), {})
                items.append(ItemPair(task, sample_id, mine.get("prompt") or theirs.get("prompt") or "",
                                      theirs.get("text") or "", mine.get("text") or ""))
            result[variant][kind] = items
    return result
