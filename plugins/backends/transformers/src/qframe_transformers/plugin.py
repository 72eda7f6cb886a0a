"""Registers backend ``transformers`` and the ``qframe quantize`` command.

Nothing here imports torch or transformers: the factory and the command import them when used.
"""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl


def _make_backend(spec):
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        from qframe.plugin_api.errors import MissingDependencyError

        raise MissingDependencyError(
            "backend 'transformers' needs PyTorch and transformers: pip install qframe-transformers"
        ) from None
    from qframe_transformers.backend import TransformersBackend

    return TransformersBackend(spec)


@hookimpl
def qframe_register_backends(register) -> None:
    register(
        "transformers",
        _make_backend,
        "Hugging Face checkpoints (plain, compressed-tensors GPTQ/AWQ, GGUF) in-process with PyTorch",
    )


@hookimpl
def qframe_register_commands(cli) -> None:
    from qframe_transformers.quantize_command import quantize

    cli.add_command(quantize)


@hookimpl
def qframe_register_checks(register) -> None:
    from qframe.plugin_api.plugins import lazy

    register("transformers", lazy("qframe_transformers.doctor:doctor_check"), "versions of torch and transformers")
