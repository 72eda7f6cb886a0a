"""Registers backend ``openai``. Nothing here imports aiohttp: the factory does, when called."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl


def _make_backend(spec):
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        from qframe.plugin_api.errors import MissingDependencyError

        raise MissingDependencyError("backend 'openai' needs aiohttp: pip install qframe-openai") from None
    from qframe_openai.backend import OpenAIBackend

    return OpenAIBackend(spec)


@hookimpl
def qframe_register_backends(register) -> None:
    register(
        "openai",
        _make_backend,
        "OpenAI-compatible servers (llama-server, vLLM...) over HTTP: chat or completion, logprobs, loglikelihood",
    )
