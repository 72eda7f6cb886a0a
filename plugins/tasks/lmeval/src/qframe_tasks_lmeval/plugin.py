"""Registers the ``lmeval`` task and the ``lmeval:`` metric family (lm-eval's per-item metrics)."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy


@hookimpl
def qframe_register_tasks(register) -> None:
    factory = lazy("qframe_tasks_lmeval.task:make_task")
    factory.catalogue = lazy("qframe_tasks_lmeval.catalogue:listing")  # type: ignore[attr-defined]
    register(
        "lmeval",
        factory,
        "any lm-evaluation-harness task or group by name (options.task), or your own lm-eval YAML "
        "(options.include_path); list them with: qframe tasks lmeval [PATTERN]",
    )
    register("lmeval:", lazy("qframe_tasks_lmeval.task:make_named_task"), "lmeval:<task> is lmeval with options.task = <task>")


@hookimpl
def qframe_register_metrics(register) -> None:
    register(
        "lmeval:",
        lazy("qframe_tasks_lmeval.scoring:make_metric"),
        "lm-eval's own per-item metric of an lmeval task (lmeval:acc, lmeval:exact_match,strict-match...)",
    )
