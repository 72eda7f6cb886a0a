"""Registers backend ``ollama``. The ``ollama`` client is imported only when a backend is built."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl


def _make_backend(spec):
    try:
        import ollama  # noqa: F401
    except ImportError:
        from qframe.plugin_api.errors import MissingDependencyError

        raise MissingDependencyError("backend 'ollama' needs the ollama client: pip install 'ollama>=0.6.1'") from None
    from qframe_ollama.backend import OllamaBackend

    return OllamaBackend(spec)


@hookimpl
def qframe_register_backends(register) -> None:
    register("ollama", _make_backend, "models served by an Ollama daemon (tags, digests, native timings)")
