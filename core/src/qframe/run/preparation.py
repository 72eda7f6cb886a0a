"""Everything checked and resolved before a run directory exists.

``qframe validate`` and the start of ``qframe run`` both call :func:`prepare`: it builds every
task (which opens its data source), adds the judges the tasks declare unless the config turns
them off, and asks each variant's backend (and each judge's model backend) for a ``preflight``
check of its model. A bad input fails here, as one line with exit code 2, before anything is
written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from qframe.config import Experiment, JudgeSection
from qframe.plugin_api.plugins import PluginHost
from qframe.plugin_api.protocols import BackendSpec, QualitySignal, Requirements, Sample
from qframe.run.plan import backend_spec


@attrs.frozen
class TaskSet:
    """The items of every task id and what each task declares about itself."""

    samples: dict[str, list[Sample]]
    modes: dict[str, str]
    default_metrics: dict[str, tuple[str, ...]]
    default_judges: dict[str, tuple[str, ...]]
    quality: dict[str, QualitySignal | None] = attrs.field(factory=dict)
    provenance: dict[str, Mapping[str, Any]] = attrs.field(factory=dict)
    """Task id -> where its items come from, for the tasks that say (``Task.provenance``)."""


def load_task_set(
    experiment: Experiment, host: PluginHost, on_task: Callable[[str], None] | None = None
) -> TaskSet:
    """Build every configured task and draw its items (the same for every variant); ``on_task``
    hears each task id before its task is built (building one may download its data)."""
    samples, modes, metrics, judges, quality, provenance = {}, {}, {}, {}, {}, {}
    for index, section in enumerate(experiment.tasks):
        if on_task is not None:
            on_task(section.task_id)
        task = host.get("tasks", section.name, where=f"tasks[{index}].name").factory(section.options)
        samples[section.task_id] = task.samples(section.limit, experiment.experiment.seed)
        modes[section.task_id] = task.mode
        metrics[section.task_id] = tuple(task.default_metrics)
        judges[section.task_id] = tuple(getattr(task, "default_judges", ()))
        quality[section.task_id] = getattr(task, "quality", None)
        if getattr(task, "provenance", None) is not None:
            provenance[section.task_id] = dict(task.provenance)
    return TaskSet(samples, modes, metrics, judges, quality, provenance)


def with_default_judges(experiment: Experiment, tasks: TaskSet, host: PluginHost) -> Experiment:
    """The experiment plus the judges its tasks declare, each under its plugin's name.

    A declared judge is added only when ``defaults.judges`` is on, its plugin is installed and
    no configured judge already uses that plugin.
    """
    if not experiment.defaults.judges:
        return experiment
    configured = {section.plugin for section in experiment.judges.values()}
    judges = dict(experiment.judges)
    for plugin in dict.fromkeys(name for names in tasks.default_judges.values() for name in names):
        if plugin not in configured and plugin not in judges and host.has("judges", plugin):
            judges[plugin] = JudgeSection(plugin=plugin)
    return attrs.evolve(experiment, judges=judges)


def requirements_of(experiment: Experiment, tasks: TaskSet) -> Requirements:
    """What the run will ask of every variant's backend."""
    return Requirements(modes=frozenset(tasks.modes.values()), top_logprobs=experiment.experiment.top_logprobs)


async def preflight(experiment: Experiment, host: PluginHost, tasks: TaskSet) -> None:
    """Ask every variant's backend and every judge's model backend to check its model."""
    checks: list[tuple[BackendSpec, Requirements]] = [
        (backend_spec(experiment, variant), requirements_of(experiment, tasks)) for variant in experiment.resolved_variants()
    ]
    for section in experiment.judges.values():
        if section.backend is not None and section.model is not None:
            checks.append((BackendSpec(section.backend, section.model, seed=experiment.experiment.seed), Requirements()))
    for spec, requirements in checks:
        backend = host.get("backends", spec.backend).factory(spec)
        check = getattr(backend, "preflight", None)
        if check is not None:
            await check(requirements)


def prepare(experiment: Experiment, host: PluginHost) -> tuple[Experiment, TaskSet]:
    """Load tasks, add default judges and preflight every model; raises one-line errors."""
    tasks = load_task_set(experiment, host)
    experiment = with_default_judges(experiment, tasks, host)
    asyncio.run(preflight(experiment, host, tasks))
    return experiment, tasks


def describe(experiment: Experiment, tasks: TaskSet) -> Sequence[str]:
    """What ``qframe validate`` reports for a config that passed every check."""
    variants = experiment.resolved_variants()
    baselines = ", ".join(v.id for v in variants if v.baseline)
    items = sum(len(samples) for samples in tasks.samples.values())
    lines = [f"ok: {len(variants)} variants (baseline {baselines}), {len(tasks.samples)} tasks, {items} items per variant"]
    if experiment.judges:
        lines.append("judges: " + ", ".join(f"{judge_id} ({section.plugin})" for judge_id, section in experiment.judges.items()))
    return lines

