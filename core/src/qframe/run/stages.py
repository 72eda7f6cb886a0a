"""Scoring and judging stages: they run over stored generations, never regenerate.

Each stage computes only what is missing (a score per (item, metric), a verdict per
(item, judge)) unless asked to redo everything, so ``rescore`` and ``rejudge`` are cheap and a
new metric or judge never needs the models again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

from qframe.analysis.verdict_summaries import ERROR
from qframe.config import Experiment, JudgeSection
from qframe.data.records import KEY_COLUMNS, ItemKey, key_of
from qframe.plugin_api.plugins import PluginHost
from qframe.plugin_api.protocols import BackendProvider, RunStore, Sample, ScoringItem


def scoring_items(
    experiment: Experiment, samples_by_task: Mapping[str, Sequence[Sample]], generations: list[dict[str, Any]]
) -> list[ScoringItem]:
    """Successful generations as scoring items, each with the baseline's row for its key."""
    samples = {(task, sample.id): sample for task, items in samples_by_task.items() for sample in items}
    baseline_of = experiment.baselines()
    ok_rows = [row for row in generations if row.get("error") is None and (row["task"], row["sample_id"]) in samples]
    by_key = {(r["variant"], r["task"], r["sample_id"], r["repetition"]): r for r in ok_rows}
    return [
        ScoringItem(
            variant=row["variant"],
            task=row["task"],
            sample=samples[(row["task"], row["sample_id"])],
            repetition=row["repetition"],
            row=row,
            baseline_row=by_key.get((baseline_of.get(row["variant"]), row["task"], row["sample_id"], row["repetition"])),
        )
        for row in ok_rows
    ]


def metrics_by_task(
    experiment: Experiment, default_metrics: Mapping[str, Sequence[str]], host: PluginHost
) -> dict[str, list[str]]:
    """Metric names per task id: the task's installed defaults (unless ``defaults.metrics`` is
    off) plus every metric the config names.

    A default metric whose plugin is not installed is skipped (the config's own metric names
    were checked when it loaded).
    """
    configured = [metric.name for metric in experiment.metrics]
    use_defaults = experiment.defaults.metrics
    return {
        task: list(dict.fromkeys([*(m for m in defaults if use_defaults and host.has("metrics", m)), *configured]))
        for task, defaults in default_metrics.items()
    }


def _item_key(item: ScoringItem) -> ItemKey:
    return ItemKey(item.variant, item.task, item.sample.id, item.repetition)


async def run_scoring(
    experiment: Experiment,
    host: PluginHost,
    store: RunStore,
    items: Sequence[ScoringItem],
    metrics_for_task: Mapping[str, Sequence[str]],
    redo: bool = False,
) -> int:
    """Score items with every metric their task uses; returns the number of scores written."""
    options = {metric.name: metric.options for metric in experiment.metrics}
    done = set() if redo else {(key_of(row), row["metric"]) for row in store.read("scores").to_pylist()}
    names = list(dict.fromkeys(name for names in metrics_for_task.values() for name in names))
    written = 0
    for name in names:
        todo = [
            item
            for item in items
            if name in metrics_for_task.get(item.task, ()) and (_item_key(item), name) not in done
        ]
        if not todo:
            continue
        metric = host.get("metrics", name).factory(options.get(name, {}))
        values = await asyncio.to_thread(metric.score, todo)
        params = json.dumps(dict(metric.params), sort_keys=True)
        rows = [
            dict(zip(KEY_COLUMNS, _item_key(item), strict=True)) | {"metric": name, "value": value, "params": params}
            for item, value in zip(todo, values, strict=True)
        ]
        store.append("scores", rows)
        written += len(rows)
    return written


def make_judge(host: PluginHost, judge_id: str, section: JudgeSection, backends: BackendProvider) -> Any:
    """Build the judge of a ``[judges.<id>]`` table (its options plus backend and model)."""
    config = dict(section.options) | {"backend": section.backend, "model": section.model}
    return host.get("judges", section.plugin, where=f"judges.{judge_id}.plugin").factory(config, backends)


async def run_judging(
    experiment: Experiment,
    host: PluginHost,
    store: RunStore,
    items: Sequence[ScoringItem],
    make_backend: BackendProvider,
    judge_ids: Sequence[str] | None = None,
    redo: bool = False,
) -> int:
    """Add verdicts of the configured judges (or the ones named); returns verdicts written."""
    # A verdict labelled ``error`` (the judge could not be asked) does not count as done.
    done = set() if redo else {
        (key_of(row), row["judge"]) for row in store.read("verdicts").to_pylist() if row["label"] != ERROR
    }
    written = 0
    for judge_id in judge_ids if judge_ids is not None else list(experiment.judges):
        section = experiment.judges[judge_id]
        todo = [item for item in items if (_item_key(item), judge_id) not in done]
        if not todo:
            continue
        judge = make_judge(host, judge_id, section, make_backend)
        verdicts = await judge.judge(todo)
        rows = [
            dict(zip(KEY_COLUMNS, _item_key(item), strict=True))
            | {
                "judge": judge_id,
                "judge_model": verdict.judge_model,
                "judge_digest": verdict.judge_digest,
                "label": verdict.label,
                "raw": verdict.raw,
                "detail": json.dumps(dict(verdict.detail), sort_keys=True, default=str),
            }
            for item, verdict in zip(todo, verdicts, strict=True)
        ]
        store.append("verdicts", rows)
        written += len(rows)
    return written
