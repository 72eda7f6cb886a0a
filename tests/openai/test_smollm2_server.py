"""Backend ``openai`` on the real SmolLM2-135M ladder served by llama.cpp servers (one per quant)."""

from __future__ import annotations

import asyncio

import pytest
from qframe.data.cache import cache_dir
from qframe.plugin_api.errors import MissingCapabilityError
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, Requirements
from qframe_llamacpp.backend import LlamaCppBackend
from qframe_llamacpp.demo import DEMO_QUANTS, smollm2_source
from qframe_llamacpp.ladder import build_ladder
from qframe_openai.backend import OpenAIBackend

from tests.openai.llama_server import LlamaServer

pytestmark = [pytest.mark.slow, pytest.mark.network]

PROMPTS = ["What is the capital of France?", "Name a primary colour."]


@pytest.fixture(scope="module")
def smollm2_q8_0():
    entries = build_ladder(smollm2_source(), DEMO_QUANTS, cache_dir() / "demo" / "smollm2", log=lambda _: None)
    return next(entry.path for entry in entries if entry.quant == "Q8_0")


async def _generate(backend, requests):
    await backend.open()
    try:
        return [await backend.generate(request) for request in requests]
    finally:
        await backend.close()


def test_smollm2_served_generates_as_in_process_and_its_scoring_is_refused(smollm2_q8_0, tmp_path):
    requests = [GenerationRequest(prompt, 24, 0.0, 42) for prompt in PROMPTS]
    options = {"extra_body": {"repeat_penalty": 1.0}}
    with LlamaServer(smollm2_q8_0, "smollm2-q8_0", n_ctx=1024, n_threads=1, log=tmp_path / "server.log") as server:
        backend = OpenAIBackend(BackendSpec("openai", "smollm2-q8_0", "Q8_0", 42, {"base_url": server.url} | options))
        served = asyncio.run(_generate(backend, requests))
        # SmolLM2 adds no BOS token: this server's prompt log-probabilities are shifted, and refused.
        with pytest.raises(MissingCapabilityError, match="shifted by one token"):
            asyncio.run(backend.preflight(Requirements(frozenset({"loglikelihood"}))))
    in_process = LlamaCppBackend(BackendSpec("llamacpp", str(smollm2_q8_0), "Q8_0", 42, {"n_ctx": 1024, "n_threads": 1}))
    local = asyncio.run(_generate(in_process, requests))
    assert [r.text for r in served] == [r.text for r in local]
    assert all(r.text and r.completion_tokens == l.completion_tokens for r, l in zip(served, local, strict=True))
