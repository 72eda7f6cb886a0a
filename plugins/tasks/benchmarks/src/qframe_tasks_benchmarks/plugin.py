"""Registers the multiple-choice benchmark tasks (each reads its data only when run)."""

from __future__ import annotations

from functools import partial

from qframe.hookspecs import hookimpl


@hookimpl
def qframe_register_tasks(register) -> None:
    from qframe_tasks_benchmarks.task import BENCHMARKS, BenchmarkTask

    for benchmark in BENCHMARKS:
        register(benchmark.name, partial(BenchmarkTask, benchmark), benchmark.description)
