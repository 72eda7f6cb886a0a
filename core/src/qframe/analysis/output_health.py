"""How often each variant answered with nothing, or was cut off at ``max_tokens``.

A quant that empties its answers or rambles to the token limit changes every text metric
computed on those answers; the report shows both rates per variant and task and flags a variant
whose rate differs from its baseline's on the same task by ``flag_pp`` points or more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from qframe.analysis.data import RunData

CUT_REASON = "length"
"""The finish reason of a generation stopped by ``max_tokens``."""


def _counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per task: answered items, empty answers and answers cut at ``max_tokens``."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "empty": 0, "cut": 0})
    for row in rows:
        if row.get("error") is not None or row.get("mode") != "generate":
            continue
        entry = counts[row["task"]]
        entry["n"] += 1
        entry["empty"] += not (row.get("text") or "").strip()
        entry["cut"] += row.get("finish_reason") == CUT_REASON
    return counts


def output_health(data: RunData, flag_pp: float) -> list[dict[str, Any]]:
    """One row per (variant, task) of generation tasks, with the baseline's rates beside it."""
    counts = {variant: _counts(rows) for variant, rows in data.rows_by_variant.items()}
    table = []
    for variant in data.variants:
        baseline = data.baseline_of[variant]
        for task, entry in sorted(counts.get(variant, {}).items()):
            if not entry["n"]:
                continue
            base = counts.get(baseline, {}).get(task)
            row: dict[str, Any] = {
                "variant": variant,
                "baseline": baseline,
                "task": task,
                "n": entry["n"],
                "empty": entry["empty"],
                "cut": entry["cut"],
                "empty_rate": entry["empty"] / entry["n"],
                "cut_rate": entry["cut"] / entry["n"],
            }
            flags = []
            for kind in ("empty", "cut"):
                base_rate = base[kind] / base["n"] if base and base["n"] else None
                delta_pp = None if base_rate is None else 100 * (row[f"{kind}_rate"] - base_rate)
                row[f"baseline_{kind}_rate"] = base_rate
                row[f"{kind}_delta_pp"] = delta_pp
                if variant != baseline and delta_pp is not None and abs(delta_pp) >= flag_pp:
                    flags.append(f"{kind} {delta_pp:+.0f} pp vs {baseline}")
            row["flag"] = "; ".join(flags)
            table.append(row)
    return table
