"""Which score of each task is its quality: the rule tiers, ``recommend`` and ``gate`` read.

Every task that is not a safety suite contributes one quality signal
(:class:`qframe.plugin_api.protocols.QualitySignal`):

1. the signal the task declares (``Task.quality``, recorded in the manifest's
   ``quality_signals`` when the run starts), else
2. ``accuracy_rescored`` as a proportion, if the task reports it, else
3. the mean of whichever of BERTScore, coherence and ROUGE-L it reports, as a continuous score;
4. a task reporting none of these has no quality signal.

``[analysis] benchmark_metric`` set to a metric name (rather than the default ``"quality"``)
pools that metric, on every task that reports it, in place of the proportion signals (how runs
were pooled before tasks declared their signals: :meth:`qframe.analysis.data.RunData.pool_members`).

Proportions pool into the benchmark accuracy (:data:`QUALITY` is the pooled metric's name;
its change is read in percentage points); continuous signals pool into the key-metric average
(its change in percent of the baseline's). Signals name metrics a run computed: a declared metric
the run did not score leaves that task out of the pool.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qframe.plugin_api.protocols import CONTINUOUS, PROPORTION, QUALITY, QualitySignal

__all__ = ["FALLBACK_CONTINUOUS", "QUALITY", "continuous_metrics", "declared_signals", "describe", "proportion_metrics",
           "resolve_signals", "signal_pairs", "signal_record"]

FALLBACK_PROPORTION = "accuracy_rescored"
FALLBACK_CONTINUOUS = ("bertscore", "coherence", "rouge_l")
"""The generation metrics averaged into the key-metric average of a task that declares nothing."""


def signal_record(signal: QualitySignal) -> dict[str, Any]:
    """A signal as the manifest and the analysis store it."""
    return {"metrics": list(signal.metrics), "kind": signal.kind}


def declared_signals(declared: Mapping[str, QualitySignal | None]) -> dict[str, dict[str, Any]]:
    """The manifest's ``quality_signals``: task id -> its declared signal (tasks that declare one)."""
    return {task_id: signal_record(signal) for task_id, signal in declared.items() if signal is not None}


def resolve_signals(
    declared: Mapping[str, Mapping[str, Any]],
    metric_keys: Iterable[tuple[str, str]],
    safety_tasks: frozenset[str],
) -> dict[str, QualitySignal]:
    """Each task's quality signal by the rule above, restricted to metrics the run scored."""
    reported: dict[str, set[str]] = {}
    for task, metric in metric_keys:
        reported.setdefault(task, set()).add(metric)
    signals = {}
    for task, metrics in reported.items():
        if task in safety_tasks:
            continue
        signal = _signal_of(declared.get(task), metrics)
        if signal is not None:
            signals[task] = signal
    return signals


def _signal_of(declared: Mapping[str, Any] | None, metrics: set[str]) -> QualitySignal | None:
    if declared is not None:
        present = tuple(m for m in declared["metrics"] if m in metrics)
        return QualitySignal(present, declared["kind"]) if present else None
    if FALLBACK_PROPORTION in metrics:
        return QualitySignal((FALLBACK_PROPORTION,), PROPORTION)
    present = tuple(m for m in FALLBACK_CONTINUOUS if m in metrics)
    return QualitySignal(present, CONTINUOUS) if present else None


def proportion_metrics(signals: Mapping[str, QualitySignal]) -> dict[str, str]:
    """Task -> the metric it pools into the benchmark accuracy."""
    return {task: s.metrics[0] for task, s in signals.items() if s.kind == PROPORTION}


def continuous_metrics(signals: Mapping[str, QualitySignal]) -> dict[str, tuple[str, ...]]:
    """Task -> the metrics whose per-item mean it pools into the key-metric average."""
    return {task: s.metrics for task, s in signals.items() if s.kind == CONTINUOUS}


def signal_pairs(signals: Mapping[str, Mapping[str, Any]], kind: str) -> set[tuple[str, str]]:
    """The (task, metric) pairs of an analysis' ``quality_signals`` of one kind."""
    return {(task, metric) for task, s in signals.items() if s["kind"] == kind for metric in s["metrics"]}


def describe(signals: Mapping[str, Mapping[str, Any]]) -> str:
    """One phrase for the reports: which score of which task is its quality."""
    if not signals:
        return "no task reports a quality score"
    parts = [f"{task}: {' + '.join(s['metrics'])} ({s['kind']})" for task, s in sorted(signals.items())]
    return "; ".join(parts)
