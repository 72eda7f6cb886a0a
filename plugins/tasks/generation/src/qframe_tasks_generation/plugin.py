"""Registers the generation suites (items are read only when a task runs)."""

from __future__ import annotations

from functools import partial

from qframe.hookspecs import hookimpl


@hookimpl
def qframe_register_tasks(register) -> None:
    from qframe_tasks_generation.suites import SUITES
    from qframe_tasks_generation.task import GenerationTask

    for suite in SUITES:
        register(suite.name, partial(GenerationTask, suite), suite.description)
