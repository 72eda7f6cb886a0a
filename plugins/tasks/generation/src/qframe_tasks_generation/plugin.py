"""Registers the generation suites (items are read only when a task runs)."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy


@hookimpl
def qframe_register_tasks(register) -> None:
    from qframe_tasks_generation.suites import SUITES

    for suite in SUITES:
        register(suite.name, lazy("qframe_tasks_generation.task:make_task", suite.name), suite.description)
