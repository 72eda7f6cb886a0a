"""Backend equivalence: do two engines serving the same weights give the same answers?

Before a difference between variants is blamed on quantization, the engines themselves must
agree. ``[analysis] equivalence`` lists variant ids (e.g. the same F16 weights on llama.cpp,
transformers and vLLM); every pair of them is compared on the items both completed:

- answer agreement: the share of items with the same answer (the chosen label of a multiple
  choice item, the stripped text of a generation), with a Wilson interval over items: an
  item's repetitions are paired by repetition number and the item counts as the share of them
  that agree, so repetitions never count as items;
- accuracy: the paired test of the benchmark metric (delta with bootstrap CI, McNemar, TOST
  within the equivalence margin), as for a variant against its baseline;
- KL divergence of the non-baseline member against the family baseline, so it is reported for
  pairs that include the baseline and marked as not measured otherwise: from the teacher-forced
  fidelity stage when it ran for that variant (every position of the baseline's own outputs),
  else the ``kl_divergence`` metric's per-item values (generated tokens' top-k); ``kl_source``
  says which.
"""

from __future__ import annotations

from itertools import combinations
from statistics import fmean
from typing import Any

from qframe.analysis import stats
from qframe.analysis.cells import fidelity_columns
from qframe.analysis.comparisons import compare_pair
from qframe.analysis.data import POOLED, RunData
from qframe.config import AnalysisSection


def backend_equivalence(data: RunData, settings: AnalysisSection) -> list[dict[str, Any]]:
    """One row per pair of the configured variants (empty when none are configured)."""
    rows = []
    for first, second in combinations(settings.equivalence, 2):
        if first not in data.variants or second not in data.variants:
            continue
        row: dict[str, Any] = {"variant_a": first, "variant_b": second}
        row |= _agreement(data, first, second, settings.confidence)
        accuracy = compare_pair(
            data.outcomes(first, POOLED, settings.benchmark_metric),
            data.outcomes(second, POOLED, settings.benchmark_metric),
            settings,
        )
        if accuracy is not None:
            row |= {f"accuracy_{key}": value for key, value in accuracy.items()}
        row |= _kl(data, first, second)
        rows.append(row)
    return rows


def _answers(data: RunData, variant: str) -> dict[tuple[str, str, int], str]:
    return {
        (r["task"], r["sample_id"], r["repetition"]): (r.get("text") or "").strip()
        for r in data.rows_by_variant.get(variant, [])
        if r.get("error") is None
    }


def _agreement(data: RunData, first: str, second: str, confidence: float) -> dict[str, Any]:
    a, b = _answers(data, first), _answers(data, second)
    per_item: dict[tuple[str, str], list[bool]] = {}
    for key in a:
        if key in b:
            per_item.setdefault(key[:2], []).append(a[key] == b[key])
    if not per_item:
        return {"items": 0}
    same = sum(fmean(agree) for agree in per_item.values())
    interval = stats.wilson_interval(same, len(per_item), confidence)
    return {
        "items": len(per_item),
        "agreement": same / len(per_item),
        "agreement_low": interval.low,
        "agreement_high": interval.high,
    }


def _kl(data: RunData, first: str, second: str) -> dict[str, Any]:
    """KL of the non-baseline member against the baseline, when one member is it."""
    baseline = data.baseline_of.get(second)
    other = second if baseline == first else first if data.baseline_of.get(first) == second else None
    if other is None:
        return {"kl_note": "neither is the family baseline: KL not measured"}
    fidelity = fidelity_columns(data, other)
    if fidelity:
        source = f"fidelity stage, {fidelity['fidelity_method']}, {fidelity['fidelity_positions']} positions"
        return {"kl_mean": fidelity["kl_mean"], "kl_source": source}
    values = list(data.pooled(other, "kl_divergence").values())
    if not values:
        return {"kl_note": "no KL scores (needs top_logprobs)"}
    return {"kl_mean": fmean(values), "kl_items": len(values), "kl_source": f"kl_divergence metric, {len(values)} items"}
