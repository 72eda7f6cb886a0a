"""Against a real Ollama daemon, when ``OLLAMA_HOST`` names one that answers (skipped otherwise).

The main tests use the test server; these check the same calls against the real thing. The
model is ``QFRAME_OLLAMA_MODEL`` if set, else the smallest tag the daemon has.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from qframe.plugin_api.errors import MissingCapabilityError
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, Requirements

pytestmark = pytest.mark.network


def _live_tag() -> tuple[str, str]:
    import httpx

    from qframe_ollama.settings import normalise_host

    if not os.environ.get("OLLAMA_HOST"):
        pytest.skip("OLLAMA_HOST is not set")
    host = normalise_host(os.environ["OLLAMA_HOST"])
    try:
        models = httpx.get(f"{host}/api/tags", timeout=2).json()["models"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        pytest.skip(f"no Ollama daemon answers at {host}: {exc}")
    if not models:
        pytest.skip(f"the Ollama daemon at {host} has no models")
    smallest = min(models, key=lambda model: model.get("size") or 0)
    return host, os.environ.get("QFRAME_OLLAMA_MODEL") or smallest["model"]


def test_live_daemon_generates_with_native_timings_and_unloads():
    host, tag = _live_tag()
    from qframe_ollama.backend import OllamaBackend

    async def scenario():
        model = OllamaBackend(BackendSpec("ollama", tag, options={"host": host}))
        await model.preflight(Requirements())
        with pytest.raises(MissingCapabilityError):
            await model.preflight(Requirements(modes=frozenset({"loglikelihood"})))
        info = await model.open()
        try:
            result = await model.generate(GenerationRequest(prompt="Say hello.", max_tokens=8, temperature=0.0, seed=1))
        finally:
            await model.close()
        return info, result

    info, result = asyncio.run(scenario())
    assert len(info.digest) == 64 and info.details["load_ms"] > 0
    assert 0 < result.completion_tokens <= 8 and result.eval_ms > 0 and result.prompt_eval_ms is not None
