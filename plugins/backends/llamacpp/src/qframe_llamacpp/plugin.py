"""Registers backend ``llamacpp``, the ``qframe ladder`` command and the offline demo.

Nothing here imports llama_cpp, gguf or numpy: the factory and the command import them when used.
"""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl


def _make_backend(spec):
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        from qframe.plugin_api.errors import MissingDependencyError

        raise MissingDependencyError(
            "backend 'llamacpp' needs llama-cpp-python: pip install 'llama-cpp-python==0.3.36'"
        ) from None
    from qframe_llamacpp.backend import LlamaCppBackend

    return LlamaCppBackend(spec)


@hookimpl
def qframe_register_backends(register) -> None:
    register("llamacpp", _make_backend, "GGUF models with llama.cpp (CPU) in a worker process per model, native timings")


@hookimpl
def qframe_register_checks(register) -> None:
    from qframe.plugin_api.plugins import lazy

    register("llamacpp", lazy("qframe_llamacpp.self_test:doctor_check"),
             "llama.cpp build, CPU features and a decode self-test of F16, Q8_0, Q4_K_M and Q4_0")


@hookimpl(tryfirst=True)
def qframe_demo_experiment(work_dir):
    """The SmolLM2 ladder on the offline suite (see :mod:`qframe_llamacpp.demo`)."""
    import click

    from qframe_llamacpp.demo import demo_experiment

    return demo_experiment(work_dir, log=lambda line: click.echo(line, err=True))


@hookimpl
def qframe_register_commands(cli) -> None:
    from qframe_llamacpp.ladder_command import ladder

    cli.add_command(ladder)
