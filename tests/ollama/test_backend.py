"""Backend ``ollama`` against the test server (tests/ollama/fake_ollama.py) backed by llama.cpp."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from qframe.plugin_api.errors import (
    BackendResponseError,
    BadInputError,
    BackendError,
    MissingCapabilityError,
    TransientBackendError,
)
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, Requirements
from qframe_ollama.backend import OllamaBackend
from tests.ollama.fake_ollama import PARAMETERS, Fault

pytestmark = pytest.mark.network

REQUEST = GenerationRequest(prompt="What is the capital of France?", max_tokens=8, temperature=0.0, seed=7)


def backend(server, tag: str = "tiny:q8_0", **options) -> OllamaBackend:
    return OllamaBackend(BackendSpec("ollama", tag, tag.split(":")[1], options={"host": server.url, **options}))


async def opened(server, requests, tag: str = "tiny:q8_0", **options):
    """Open a backend, run the requests, close it; (model info, results)."""
    model = backend(server, tag, **options)
    info = await model.open()
    try:
        results = [await model.generate(request) for request in requests]
    finally:
        await model.close()
    return info, results


def test_open_records_tag_digest_weights_template_and_load(server, tiny_ladder):
    info, _ = asyncio.run(opened(server, []))
    tag = tiny_ladder["tiny:q8_0"]
    assert info.model == "tiny:q8_0" and info.quant == "q8_0"
    assert info.digest == tag.digest
    assert info.details["weights_sha256"] == hashlib.sha256(tag.path.read_bytes()).hexdigest()
    assert info.details["template"].startswith("{{ if .System }}")
    assert info.details["modelfile_parameters"] == PARAMETERS
    assert info.details["quantization_level"] == "Q8_0"
    assert (info.details["n_layer"], info.details["n_embd"]) == (2, 256)
    assert info.engine == "ollama 0.12.11" and info.details["logprobs_supported"]
    assert info.size_bytes == tag.path.stat().st_size and info.parameters > 0
    assert info.details["load_ms"] > 0 and info.details["loaded_context_length"] == 2048
    assert server.events == [("load", "tiny:q8_0"), ("unload", "tiny:q8_0")]


def test_generation_sends_every_option_explicitly_and_reports_native_timings(server):
    request = GenerationRequest(prompt="hello", max_tokens=6, temperature=0.0, seed=11, stop=("mat",), system="Answer.")
    _, [result] = asyncio.run(opened(server, [request], num_ctx=1024, top_k=12, top_p=0.5))
    [(path, body)] = [(path, body) for path, body in server.requests if body.get("messages")]
    assert path == "/api/chat"
    assert body["messages"] == [{"role": "system", "content": "Answer."}, {"role": "user", "content": "hello"}]
    # The tag's Modelfile says temperature 0.7 and top_k 30: the request overrides both, and keeps
    # the tag's own stop sequence beside the experiment's.
    assert body["options"] == {
        "num_ctx": 1024, "temperature": 0.0, "seed": 11, "num_predict": 6, "top_k": 12, "top_p": 0.5, "stop": ["user:", "mat"],
    }
    assert result.applied["num_ctx"] == 1024 and result.applied["stop"] == ["user:", "mat"]
    assert result.text and 0 < result.completion_tokens <= 6 and result.eval_tokens == result.completion_tokens
    assert result.prompt_tokens > 5 and result.prompt_eval_ms > 0 and result.eval_ms > 0
    assert result.applied["load_ms"] < 1  # loaded at open, not during the request
    assert result.ttft_ms is not None and result.finish_reason in ("stop", "length")


def test_streamed_and_whole_replies_agree_at_temperature_zero(server):
    _, [streamed] = asyncio.run(opened(server, [REQUEST]))
    _, [whole] = asyncio.run(opened(server, [REQUEST], stream=False))
    assert streamed.text == whole.text and streamed.completion_tokens == whole.completion_tokens
    assert whole.ttft_ms == whole.prompt_eval_ms


def test_plain_completion_is_a_raw_generate(server):
    request = GenerationRequest(prompt="the cat sat on the", max_tokens=4, temperature=0.0, seed=1, chat=False)
    _, [result] = asyncio.run(opened(server, [request]))
    [body] = [body for path, body in server.requests if path == "/api/generate" and body.get("prompt")]
    assert body["raw"] is True and body["prompt"] == "the cat sat on the"
    assert result.applied["endpoint"] == "/api/generate" and result.completion_tokens > 0


def test_generated_token_logprobs_when_the_server_has_them(server):
    request = GenerationRequest(prompt="hello", max_tokens=5, temperature=0.0, seed=1, top_logprobs=3)
    _, [result] = asyncio.run(opened(server, [request]))
    assert len(result.top_logprobs) == result.completion_tokens
    for position in result.top_logprobs:
        assert 1 <= len(position) <= 3
        values = list(position.values())
        assert values == sorted(values, reverse=True) and all(v <= 0 for v in values)


def test_an_older_server_is_recorded_as_lacking_logprobs(make_server):
    server = make_server(version="0.12.10")
    request = GenerationRequest(prompt="hello", max_tokens=3, temperature=0.0, seed=1, top_logprobs=3)
    info, [result] = asyncio.run(opened(server, [request]))
    assert info.details["logprobs_supported"] is False
    assert result.top_logprobs is None and "0.12.11" in result.applied["logprobs_missing"]
    assert not any(body.get("logprobs") for _, body in server.requests)


def test_preflight_refuses_loglikelihood_missing_tags_and_too_many_logprobs(server):
    with pytest.raises(MissingCapabilityError, match="generate.*accuracy_rescored") as caught:
        asyncio.run(backend(server).preflight(Requirements(modes=frozenset({"generate", "loglikelihood"}))))
    assert "\n" not in str(caught.value)
    with pytest.raises(BadInputError, match="no model 'tiny:q5_0'.*ollama pull tiny:q5_0"):
        asyncio.run(backend(server, "tiny:q5_0").preflight(Requirements()))
    with pytest.raises(MissingCapabilityError, match="at most 20"):
        asyncio.run(backend(server).preflight(Requirements(top_logprobs=25)))
    asyncio.run(backend(server).preflight(Requirements(top_logprobs=5)))
    assert server.events == []  # preflight loads nothing


def test_loglikelihood_call_is_a_capability_error(server):
    with pytest.raises(MissingCapabilityError, match="cannot score a given text"):
        asyncio.run(backend(server).loglikelihood("Q", ["a", "b"]))


def test_a_context_smaller_than_asked_is_refused(make_server):
    server = make_server(context_cap=512)
    with pytest.raises(BackendError, match="512-token context, not the 1024"):
        asyncio.run(opened(server, [], num_ctx=1024))


FAULTS = [
    (Fault("status", status=500), TransientBackendError, "HTTP 500"),
    (Fault("status", status=429), TransientBackendError, "HTTP 429"),
    (Fault("status", status=400), BackendError, "refused the request: HTTP 400"),
    (Fault("garbage"), BackendResponseError, "malformed reply"),
    (Fault("truncate"), TransientBackendError, "connection failed|malformed"),
]
STREAM_ONLY_FAULTS = [(Fault("stream_error"), TransientBackendError, "mid-reply")]


@pytest.mark.parametrize(
    ("stream", "fault", "error", "message"),
    [(True, *case) for case in FAULTS + STREAM_ONLY_FAULTS] + [(False, *case) for case in FAULTS],
)
def test_faults_become_retryable_or_permanent_errors(server, stream, fault, error, message):
    async def scenario():
        model = backend(server, stream=stream)
        await model.open()
        try:
            server.inject(fault)
            with pytest.raises(error, match=message) as caught:
                await model.generate(REQUEST)
            assert "\n" not in str(caught.value)
            return await model.generate(REQUEST)  # the next call is answered normally
        finally:
            await model.close()

    assert asyncio.run(scenario()).text


def test_a_slow_reply_times_out_as_a_retryable_error(server):
    async def scenario():
        model = backend(server, timeout_s=3.0)
        await model.open()
        try:
            server.inject(Fault("slow", delay_s=5.0))
            with pytest.raises(TransientBackendError, match="no answer in time"):
                await model.generate(REQUEST)
        finally:
            await model.close()

    asyncio.run(scenario())


def test_a_tag_removed_mid_run_is_permanent_and_a_dead_server_is_retryable(make_server, tiny_ladder):
    server = make_server()

    async def scenario():
        model = backend(server)
        await model.open()
        del server.tags["tiny:q8_0"]
        with pytest.raises(BadInputError, match="no model 'tiny:q8_0'"):
            await model.generate(REQUEST)
        server.stop()
        with pytest.raises(TransientBackendError, match="connection failed"):
            await model.generate(REQUEST)
        await model.close()  # the daemon is gone: closing still returns

    asyncio.run(scenario())
    server.start()  # the fixture stops it again
