"""Backend ``openai`` against a real llama.cpp server (``python -m llama_cpp.server``) on 127.0.0.1.

The tiny test model answers in well under a second; each test sends a bounded number of requests.
Where the served model is also run in-process, the two must agree: greedy text token for token,
and loglikelihood scores to float32 precision.
"""

from __future__ import annotations

import asyncio

import pytest
from qframe.plugin_api.errors import BadInputError, MissingCapabilityError
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, Requirements
from qframe_llamacpp.backend import LlamaCppBackend
from qframe_openai.backend import OpenAIBackend

from tests.openai.conftest import openai_variant
from tests.openai.llama_server import LlamaServer, free_port

pytestmark = pytest.mark.network

PROMPTS = ["Tell me about the sky.", "hello world", "The capital of France is"]
QUESTION = "Question: which is a colour?\nAnswer:"
CHOICES = [" blue", " sky", " hello world", " the"]


def openai_backend(server: LlamaServer, model: str = "tiny-q8_0", **options) -> OpenAIBackend:
    variant = openai_variant(server.url, model, **options)
    return OpenAIBackend(BackendSpec("openai", model, "Q8_0", 42, variant["options"]))


async def _generate_all(backend, requests: list[GenerationRequest]) -> list:
    await backend.open()
    try:
        return [await backend.generate(request) for request in requests]
    finally:
        await backend.close()


def test_model_identity_is_recorded_and_stable(tiny_server):
    async def open_twice():
        infos = []
        for _ in range(2):
            backend = openai_backend(tiny_server)
            infos.append(await backend.open())
            await backend.close()
        return infos, backend.default_concurrency

    (first, second), concurrency = asyncio.run(open_twice())
    assert first.digest == second.digest and len(first.digest) == 64
    assert first.model == "tiny-q8_0" and first.quant == "Q8_0"
    assert first.details["server"] == "openai-compatible" and first.details["identity"]["entry"]["id"] == "tiny-q8_0"
    assert first.details["settings"]["base_url"] == tiny_server.url
    assert concurrency == 1  # the llama-cpp-python server reports no slot count: the option's default


@pytest.mark.parametrize("chat", [True, False], ids=["chat", "completion"])
def test_greedy_generation_matches_the_same_model_in_process(tiny_server, tiny_models, chat):
    requests = [GenerationRequest(prompt, 12, 0.0, 42, chat=chat) for prompt in PROMPTS]
    served = asyncio.run(_generate_all(openai_backend(tiny_server), requests))
    local = asyncio.run(_generate_all(LlamaCppBackend(BackendSpec("llamacpp", str(tiny_models["Q8_0"]), "Q8_0")), requests))
    assert [r.text for r in served] == [r.text for r in local]
    assert [r.completion_tokens for r in served] == [r.completion_tokens for r in local]
    assert [r.prompt_tokens for r in served] == [r.prompt_tokens for r in local]
    assert all(r.eval_ms is None and r.ttft_ms is None for r in served)  # this server reports no timings
    assert served[0].applied["repeat_penalty"] == 1.0 and served[0].applied["max_tokens"] == 12


def test_streaming_measures_time_to_first_token(tiny_server):
    requests = [GenerationRequest(prompt, 12, 0.0, 42) for prompt in PROMPTS[:2]]
    streamed = asyncio.run(_generate_all(openai_backend(tiny_server, stream=True), requests))
    whole = asyncio.run(_generate_all(openai_backend(tiny_server), requests))
    assert [r.text for r in streamed] == [r.text for r in whole]
    assert all(r.ttft_ms is not None and 0 < r.ttft_ms for r in streamed)
    # This server sends no usage in streams: the counts are stored as missing, never guessed.
    assert all(r.prompt_tokens is None and r.completion_tokens is None for r in streamed)
    assert streamed[0].applied["token_counts"] == "not reported by the server in streamed replies"


def test_top_logprobs_of_generated_tokens(tiny_server):
    request = GenerationRequest(PROMPTS[0], 6, 0.0, 42, top_logprobs=3)
    [result] = asyncio.run(_generate_all(openai_backend(tiny_server), [request]))
    assert len(result.top_logprobs) == result.completion_tokens
    for position in result.top_logprobs:
        values = list(position.values())
        # tokens rendered alike (bytes of one character) are merged, keeping the more likely
        assert 1 <= len(values) <= 3 and values == sorted(values, reverse=True) and all(v <= 0 for v in values)
    assert any(len(position) == 3 for position in result.top_logprobs)


def test_loglikelihood_over_http_equals_in_process_scores(tiny_server, tiny_models):
    async def scores(backend):
        await backend.open()
        try:
            return await backend.loglikelihood(QUESTION, CHOICES)
        finally:
            await backend.close()

    served = asyncio.run(scores(openai_backend(tiny_server)))
    local = asyncio.run(scores(LlamaCppBackend(BackendSpec("llamacpp", str(tiny_models["Q8_0"]), "Q8_0"))))
    assert served == pytest.approx(local, abs=2e-3)
    assert max(range(4), key=served.__getitem__) == max(range(4), key=local.__getitem__)


def test_preflight_accepts_a_capable_server_and_names_what_is_missing(tiny_server, tiny_models, tmp_path):
    asyncio.run(openai_backend(tiny_server).preflight(Requirements(frozenset({"generate", "loglikelihood"}), 2)))
    with pytest.raises(BadInputError, match=r"model 'nope' is not served at .* \(it serves: 'tiny-q8_0'\)"):
        asyncio.run(openai_backend(tiny_server, model="nope").preflight(Requirements()))
    closed = LlamaServer(tiny_models["Q8_0"], "x")
    closed.port = free_port()
    with pytest.raises(BadInputError, match="is not usable: .*connection failed"):
        asyncio.run(openai_backend(closed, model="x").preflight(Requirements()))
    with LlamaServer(tiny_models["nobos"], "tiny-nobos", log=tmp_path / "nobos.log") as nobos:
        backend = openai_backend(nobos, model="tiny-nobos")
        asyncio.run(backend.preflight(Requirements(frozenset({"generate"}))))
        with pytest.raises(MissingCapabilityError, match="shifted by one token.*mode = \"generate\""):
            asyncio.run(backend.preflight(Requirements(frozenset({"loglikelihood"}))))


@pytest.mark.slow
def test_a_ladder_served_over_http_gives_the_in_process_results(host, run_experiment, tiny_server, tiny_models, tmp_path):
    """Two quants, one server each: a run with generation and loglikelihood items stores the
    same texts and choices as the same run on the in-process backend."""
    tasks = [{"name": "mock", "id": "gen", "limit": 4}, {"name": "mock", "id": "mc", "limit": 4, "options": {"mode": "loglikelihood"}}]
    settings = {"name": "ladder", "max_tokens": 8, "warmup": 0}
    with LlamaServer(tiny_models["Q4_0"], "tiny-q4_0", log=tmp_path / "q4.log") as q4_server:
        served_variants = [openai_variant(tiny_server.url, "tiny-q8_0"), openai_variant(q4_server.url, "tiny-q4_0", "Q4_0")]
        served, outcome = run_experiment(host, {"experiment": settings, "variants": served_variants, "tasks": tasks,
                                                "analysis": {"bootstrap_resamples": 200}}, "served")  # fmt: skip
    local_variants = [{"id": q, "backend": "llamacpp", "model": str(tiny_models[q]), "quant": q} for q in ("Q8_0", "Q4_0")]
    local, _ = run_experiment(host, {"experiment": settings, "variants": local_variants, "tasks": tasks,
                                     "analysis": {"bootstrap_resamples": 200}}, "local")  # fmt: skip

    def results(session):
        rows = session.store.read("generations").to_pylist()
        return {(r["variant"], r["task"], r["sample_id"]): (r["text"], r["error"]) for r in rows}

    assert outcome.exit_code == 0 and len(results(served)) == 16
    assert results(served) == results(local)
    manifest = served.manifest["variants"]
    assert manifest["Q8_0"]["digest"] != manifest["Q4_0"]["digest"]
    assert manifest["Q4_0"]["details"]["identity"]["entry"]["id"] == "tiny-q4_0"
