"""Core's own plugin: the ``local`` executor, registered by a lazy factory so that starting the
command line imports none of the run machinery (:mod:`qframe.run.executors` loads when a run
builds its executor)."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy


@hookimpl
def qframe_register_executors(register) -> None:
    register(
        "local",
        lazy("qframe.run.executors:LocalExecutor"),
        "in this process, variant after variant as the schedule orders them (default)",
    )
