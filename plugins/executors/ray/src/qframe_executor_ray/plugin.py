"""Registers the ``ray`` executor. Ray is imported only when a run starts on it."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl


def _make_executor(section):
    from qframe_executor_ray.executor import RayExecutor

    return RayExecutor(section)


@hookimpl
def qframe_register_executors(register) -> None:
    register("ray", _make_executor, "one variant (one model load) per Ray actor, placed by its resources")
