"""Registers backend ``mock`` and task ``mock``."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy


@hookimpl
def qframe_register_backends(register) -> None:
    register("mock", lazy("qframe_mock.backend:MockBackend"), "deterministic answers from prompt and variant; latency and faults injectable")


@hookimpl
def qframe_register_tasks(register) -> None:
    register("mock", lazy("qframe_mock.task:MockTask"), "N synthetic arithmetic items with references")


@hookimpl(trylast=True)
def qframe_demo_experiment(work_dir):
    """The mock ladder: used only when no real engine offers a demo."""
    return {
        "experiment": {"name": "mock-demo", "max_tokens": 32},
        "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": ["F16", "Q8_0", "Q4_K_M", "Q2_K"], "baseline": "F16"},
        "tasks": [{"name": "mock", "limit": 50}],
    }
