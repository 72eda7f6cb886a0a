"""Cells: one row of aggregates per variant, each compared with the baseline variant.

A cell holds counts, the mean of every metric per task, performance from native and wall
timings, the model facts from the manifest, and ``delta_<metric>`` against the baseline on the
items both variants completed (paired). Classifiers add labels to cells; reporters render them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from statistics import fmean, median
from typing import Any


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def performance(rows: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Native decode tokens/s, time to first token and wall throughput of successful rows."""
    generated = [r for r in rows if r.get("completion_tokens")]
    native = [r["completion_tokens"] / (r["eval_ms"] / 1000) for r in generated if r.get("eval_ms")]
    ttft = [r["ttft_ms"] for r in rows if r.get("ttft_ms") is not None]
    wall_tokens = sum(r["completion_tokens"] for r in generated)
    wall_s = sum(r["wall_ms"] for r in generated if r.get("wall_ms")) / 1000
    native_tps = _mean(native)
    wall_tps = wall_tokens / wall_s if wall_s else None
    return {
        "native_tps": native_tps,
        "ttft_ms_mean": _mean(ttft),
        "ttft_ms_median": median(ttft) if ttft else None,
        "wall_tps": wall_tps,
        "wall_overhead_pct": (native_tps / wall_tps - 1) * 100 if native_tps and wall_tps else None,
    }


def build_cells(
    manifest: Mapping[str, Any], generations: Sequence[Mapping[str, Any]], scores: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Aggregate stored rows into one cell per variant, in the manifest's variant order."""
    variants = manifest["variants"]
    baseline = next(vid for vid, v in variants.items() if v.get("baseline"))
    rows_by_variant: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in generations:
        rows_by_variant[row["variant"]].append(row)
    values: dict[str, dict[str, dict[tuple[str, str, int], float]]] = defaultdict(lambda: defaultdict(dict))
    for score in scores:
        if score["value"] is not None:
            metric = f"{score['task']}/{score['metric']}"
            values[score["variant"]][metric][(score["task"], score["sample_id"], score["repetition"])] = score["value"]
    cells = []
    for variant_id, facts in variants.items():
        rows = rows_by_variant.get(variant_id, [])
        ok = [r for r in rows if r.get("error") is None]
        cell: dict[str, Any] = {
            "variant": variant_id,
            "baseline": variant_id == baseline,
            "quant": facts.get("quant", ""),
            "model": facts.get("model", ""),
            "family": facts.get("family") or facts.get("model", ""),
            "size_bytes": facts.get("size_bytes"),
            "parameters": facts.get("parameters"),
            "bits_per_weight": facts.get("bits_per_weight"),
            "items": len(rows),
            "errors": len(rows) - len(ok),
        }
        cell |= performance(ok)
        for metric, per_item in sorted(values.get(variant_id, {}).items()):
            cell[f"mean:{metric}"] = fmean(per_item.values())
            base = values.get(baseline, {}).get(metric, {})
            shared = per_item.keys() & base.keys()
            if shared:
                cell[f"delta:{metric}"] = fmean(per_item[k] - base[k] for k in shared)
        cells.append(cell)
    return cells
