"""What qframe computes from an lm-eval task, and what it refuses (one line, at validate time).

qframe's paired statistics need one score per item, averaged over items. So an lm-eval metric is
kept when its aggregation is lm-eval's ``mean``; corpus-level metrics (``f1`` and ``mcc`` over all
predictions, ``bleu``, perplexities) are left out and named. A multiple-choice task is ranked by
the backend's summed log-probability per choice, which gives ``acc``, ``acc_norm`` and
``acc_bytes`` exactly as lm-eval defines them; its ``exact_match`` (is the gold choice the greedy
continuation?) and ``acc_mutual_info`` (unconditional log-probabilities) need what the backends
do not return, and are left out too.

Each kept metric of each filter pipeline is one qframe metric, ``lmeval:<metric>`` (filter
``none``) or ``lmeval:<metric>,<filter>`` (lm-eval's own key, e.g. ``exact_match,strict-match``).
The first kept metric that is better when higher, on the first filter, is the task's quality
signal: a proportion for lm-eval's 0/1 metrics, a continuous score otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import CONTINUOUS, PROPORTION, QualitySignal

MODES = {"multiple_choice": "loglikelihood", "generate_until": "generate"}
"""lm-eval output type -> qframe task mode."""
UNSUPPORTED_OUTPUT_TYPES = {
    "loglikelihood": "its metrics need whether the target is the greedy continuation, which backends do not return",
    "loglikelihood_rolling": "its perplexities are corpus-level aggregates, not per-item scores",
}
CHOICE_METRICS_LEFT_OUT = {
    "exact_match": "needs whether each choice is the greedy continuation",
    "acc_mutual_info": "needs each choice's unconditional log-probability",
}
ZERO_ONE_METRICS = frozenset({"acc", "acc_norm", "acc_bytes", "exact_match"})
"""lm-eval metrics whose per-item value is 0 or 1 (a proportion quality signal)."""
METRIC_PREFIX = "lmeval:"
NO_FILTER = "none"


@attrs.frozen
class LeafPlan:
    """What qframe computes from one lm-eval leaf task."""

    name: str
    mode: str
    metric_keys: tuple[str, ...]
    """lm-eval result keys, in lm-eval's order: ``metric`` or ``metric,filter``."""
    primary: str
    primary_kind: str
    left_out: tuple[str, ...] = ()
    """``metric: why`` for each of the task's metrics qframe does not compute."""

    @property
    def quality(self) -> QualitySignal:
        return QualitySignal((METRIC_PREFIX + self.primary,), self.primary_kind)


def plan_leaf(name: str, task: Any) -> LeafPlan:
    """The plan of one lm-eval task object; an unsupported task is a one-line ConfigError."""
    output_type = task.OUTPUT_TYPE
    if output_type in UNSUPPORTED_OUTPUT_TYPES:
        raise _unsupported(name, f"output type {output_type}: {UNSUPPORTED_OUTPUT_TYPES[output_type]}")
    if output_type not in MODES:
        raise _unsupported(name, f"output type {output_type!r}; supported: {', '.join(MODES)}")
    if getattr(task, "multiple_input", False):
        raise _unsupported(name, "it puts the choices in the context (one context per choice)")
    if (task.config.repeats or 1) > 1:
        raise _unsupported(name, f"repeats = {task.config.repeats}; use [experiment] repetitions instead")
    if task.config.doc_to_image or task.config.doc_to_audio:
        raise _unsupported(name, "it is multimodal (images or audio)")
    kept, left_out = _per_item_metrics(task, output_type)
    if not kept:
        raise _unsupported(name, "none of its metrics is a per-item mean (" + "; ".join(left_out) + ")")
    better_high = task.higher_is_better()
    primary = next((metric for metric in kept if better_high.get(metric, True)), None)
    if primary is None:
        raise _unsupported(name, f"none of its per-item metrics ({', '.join(kept)}) is better when higher")
    filters = filter_names(task)
    keys = tuple(metric if flt == NO_FILTER else f"{metric},{flt}" for flt in filters for metric in kept)
    primary_key = primary if filters[0] == NO_FILTER else f"{primary},{filters[0]}"
    kind = PROPORTION if primary in ZERO_ONE_METRICS else CONTINUOUS
    return LeafPlan(name, MODES[output_type], keys, primary_key, kind, tuple(left_out))


def plan_tasks(name: str, tasks: Mapping[str, Any]) -> list[LeafPlan]:
    """Plans of every leaf of a task or group; a group must ask one way and score one way."""
    plans = [plan_leaf(leaf, task) for leaf, task in tasks.items()]
    if len({plan.mode for plan in plans}) > 1:
        modes = ", ".join(sorted({f"{plan.name}: {plan.mode}" for plan in plans})[:4])
        raise _unsupported(name, f"its tasks mix output types ({modes}); run them as separate [[tasks]]")
    if len({plan.quality for plan in plans}) > 1:
        primaries = ", ".join(sorted({f"{plan.name}: {plan.primary}" for plan in plans})[:4])
        raise _unsupported(name, f"its tasks' primary metrics differ ({primaries}); run them as separate [[tasks]]")
    return plans


def filter_names(task: Any) -> list[str]:
    """The names of the task's filter pipelines (``none`` when it has none), in lm-eval's order."""
    # lm-eval keeps the built pipelines in ``_filters`` and offers no public accessor.
    return [ensemble.name for ensemble in getattr(task, "_filters", ())] or [NO_FILTER]


def _per_item_metrics(task: Any, output_type: str) -> tuple[list[str], list[str]]:
    from lm_eval.api.metrics import mean

    kept, left_out = [], []
    for metric, aggregation in task.aggregation().items():
        if output_type == "multiple_choice" and metric in CHOICE_METRICS_LEFT_OUT:
            left_out.append(f"{metric}: {CHOICE_METRICS_LEFT_OUT[metric]}")
        elif aggregation is not mean:
            left_out.append(f"{metric}: aggregated over the corpus ({getattr(aggregation, '__name__', aggregation)})")
        else:
            kept.append(metric)
    return kept, left_out


def _unsupported(name: str, why: str) -> ConfigError:
    return ConfigError(f"lm-eval task {name!r} is not supported by qframe: {why}")
