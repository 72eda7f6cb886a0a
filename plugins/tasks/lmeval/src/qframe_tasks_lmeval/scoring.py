"""lm-eval's own per-item metrics of stored answers: its filters, then its ``process_results``.

A multiple-choice item's stored ``choice_logprobs`` are the summed log-probability of each
continuation, the ``loglikelihood`` answers lm-eval's evaluator hands ``process_results``; the
greedy flag that goes with each is not known and is passed as false (the metrics that read it
are not offered, see :mod:`qframe_tasks_lmeval.support`). A generated item's text goes through
the task's filter pipeline of the metric's key (``exact_match,strict-match`` -> ``strict-match``)
before ``process_results`` scores it, as in lm-eval's evaluator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from qframe.plugin_api.protocols import ScoringItem
from qframe_tasks_lmeval.catalogue import leaf_tasks, quiet
from qframe_tasks_lmeval.support import METRIC_PREFIX, NO_FILTER, filter_names


def make_metric(key: str, options: Mapping[str, Any]) -> LmevalMetric:
    """The metric ``lmeval:<key>``; it takes no options."""
    from qframe.plugin_api.errors import ConfigError

    if options:
        raise ConfigError(f"metric {METRIC_PREFIX}{key}: takes no options, got {', '.join(sorted(options))}")
    return LmevalMetric(key)


class LmevalMetric:
    """One lm-eval result key (``acc``, ``exact_match,strict-match``) of lmeval tasks' items;
    None for items of other tasks and for tasks that do not report the key."""

    def __init__(self, key: str) -> None:
        from lm_eval import __version__

        self.key = key
        self.name = METRIC_PREFIX + key
        self.metric, _, filter_name = key.partition(",")
        self.filter = filter_name or NO_FILTER
        self.params: Mapping[str, str] = {"lm_eval": __version__, "key": key}

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        values: list[float | None] = [None] * len(items)
        by_task: dict[tuple[str, tuple[str, ...], str], list[int]] = defaultdict(list)
        for index, item in enumerate(items):
            reference = item.sample.metadata.get("lmeval")
            if reference is not None:
                name, include_paths = reference["source"]
                by_task[(name, tuple(include_paths), reference["task"])].append(index)
        for (name, include_paths, leaf), indices in by_task.items():
            task = leaf_tasks(name, include_paths)[leaf]
            if self.filter not in filter_names(task):
                continue
            chosen = [items[index] for index in indices]
            with quiet():
                results = self._results(task, chosen)
            for index, result in zip(indices, results, strict=True):
                values[index] = _number(result.get(self.metric)) if result is not None else None
        return values

    def _results(self, task: Any, items: Sequence[ScoringItem]) -> list[dict[str, Any] | None]:
        docs = [item.sample.metadata["lmeval"]["doc"] for item in items]
        if task.OUTPUT_TYPE == "multiple_choice":
            return [
                task.process_results(doc, [(float(ll), False) for ll in item.row["choice_logprobs"]])
                if item.row.get("choice_logprobs") else None
                for doc, item in zip(docs, items, strict=True)
            ]
        from lm_eval.api.instance import Instance

        instances = [
            Instance(request_type="generate_until", doc=doc, arguments=(item.row.get("prompt") or "", {}), idx=0,
                     resps=[item.text])
            for doc, item in zip(docs, items, strict=True)
        ]
        ensemble = next(ensemble for ensemble in getattr(task, "_filters", ()) if ensemble.name == self.filter)
        ensemble.apply(instances)
        return [task.process_results(doc, [instance.filtered_resps[self.filter]])
                for doc, instance in zip(docs, instances, strict=True)]


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
