"""Backend ``openai`` without a server: options, reply shapes, model identity, scoring replies."""

from __future__ import annotations

import asyncio

import attrs
import pytest
from qframe.plugin_api.errors import BackendResponseError, BadInputError, ConfigError, MissingCapabilityError
from qframe.plugin_api.protocols import GenerationRequest
from qframe_openai.identity import ServerModel, find_model, server_kind
from qframe_openai.replies import ReplyParts, generation_body
from qframe_openai.scoring import Scored, continuation_logprob, scoring_body
from qframe_openai.settings import read_settings

REQUEST = GenerationRequest(prompt="Hi", max_tokens=8, temperature=0.0, seed=7, system="Be brief.", stop=("\n",))


def test_options_are_checked_and_the_key_is_read_from_the_environment_only(monkeypatch):
    settings = read_settings("m", {"base_url": "http://127.0.0.1:9/v1/", "api_key_env": "QF_TEST_KEY"})
    assert settings.base_url == "http://127.0.0.1:9" and settings.model == "m"
    with pytest.raises(ConfigError, match="environment variable QF_TEST_KEY"):
        settings.api_key()
    monkeypatch.setenv("QF_TEST_KEY", "sekret")
    assert settings.api_key() == "sekret"
    assert "sekret" not in repr(settings.describe())
    with pytest.raises(ConfigError, match="unknown option 'api_key'"):
        read_settings("m", {"api_key": "sekret"})
    with pytest.raises(ConfigError, match="'timeout_s' must be a positive float"):
        read_settings("m", {"timeout_s": 0})
    with pytest.raises(ConfigError, match="base_url must start with http"):
        read_settings("m", {"base_url": "127.0.0.1:8080"})


def test_chat_and_completion_bodies_carry_the_request_and_extra_fields_win():
    chat = generation_body(REQUEST, "m", stream=False, extra={"top_k": 1, "seed": 9})
    assert chat["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert (chat["max_tokens"], chat["temperature"], chat["stop"], chat["top_k"], chat["seed"]) == (8, 0.0, ["\n"], 1, 9)
    plain = generation_body(attrs.evolve(REQUEST, chat=False, top_logprobs=3), "m", True, {})
    assert plain["prompt"] == "Be brief.\n\nHi" and plain["logprobs"] == 3 and "messages" not in plain
    assert plain["stream"] is True and plain["stream_options"] == {"include_usage": True}


def llama_server_chat_reply(**choice_fields) -> dict:
    """The shape llama-server documents for /v1/chat/completions, with its ``timings``."""
    choice = {"index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": "Hello there"}}
    return {
        "choices": [choice | choice_fields],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
        "timings": {"prompt_n": 12, "prompt_ms": 40.5, "predicted_n": 3, "predicted_ms": 30.0},
    }


def test_native_timings_usage_and_logprobs_are_read_from_a_reply():
    logprobs = {"content": [
        {"token": "Hello", "logprob": -0.1, "top_logprobs": [{"token": "Hello", "logprob": -0.1}, {"token": "Hi", "logprob": -2.5}]},
        {"token": " there", "logprob": -0.3, "top_logprobs": [{"token": " there", "logprob": -0.3}, {"token": "!", "logprob": -1.9}]},
    ]}  # fmt: skip
    parts = ReplyParts()
    parts.add_reply(llama_server_chat_reply(logprobs=logprobs), chat=True, streamed=False)
    request = GenerationRequest("Hi", 8, 0.0, 7, top_logprobs=1)
    result = parts.result(request, {"max_tokens": 8})
    assert (result.text, result.prompt_tokens, result.completion_tokens) == ("Hello there", 12, 3)
    assert (result.prompt_eval_ms, result.eval_ms, result.eval_tokens) == (40.5, 30.0, 3)
    assert result.top_logprobs == ({"Hello": -0.1}, {" there": -0.3})
    assert result.ttft_ms is None


def test_incomplete_replies_are_transient_and_missing_logprobs_a_capability_error():
    with pytest.raises(BackendResponseError, match="no choices"):
        ReplyParts().add_reply({"object": "chat.completion"}, chat=True, streamed=False)
    parts = ReplyParts()
    parts.add_reply(llama_server_chat_reply(finish_reason=None), chat=True, streamed=False)
    with pytest.raises(BackendResponseError, match="no finish_reason"):
        parts.result(REQUEST, {})
    parts = ReplyParts()
    parts.add_reply(llama_server_chat_reply(), chat=True, streamed=False)
    with pytest.raises(MissingCapabilityError, match="no log-probabilities"):
        parts.result(GenerationRequest("Hi", 8, 0.0, 7, top_logprobs=2), {})


def test_identity_digest_ignores_volatile_fields_and_follows_the_model_file():
    entry = {"id": "m", "object": "model", "created": 1, "owned_by": "llamacpp", "meta": {"n_params": 135, "size": 9}}
    props = {"model_path": "/models/a.gguf", "chat_template": "{{x}}", "total_slots": 4, "build_info": "b1",
             "default_generation_settings": {"n_ctx": 2048}}  # fmt: skip
    first = ServerModel("m", server_kind(entry, props), entry, props)
    later = ServerModel("m", "llama-server", entry | {"created": 99}, props | {"total_slots": 2, "build_info": "b2"})
    moved = ServerModel("m", "llama-server", entry, props | {"model_path": "/models/b.gguf"})
    assert first.server == "llama-server" and first.slots == 4
    assert first.digest == later.digest != moved.digest
    assert first.details()["n_ctx"] == 2048 and "props.model_path" in first.details()["digest_of"]
    assert server_kind({"id": "m", "owned_by": "vllm"}, None) == "vllm"


def test_a_model_the_server_does_not_list_is_refused_with_what_it_serves():
    with pytest.raises(BadInputError, match=r"model 'x' is not served at http://h \(it serves: 'a', 'b'\)"):
        find_model({"data": [{"id": "a"}, {"id": "b"}]}, "x", "http://h")
    with pytest.raises(BackendResponseError, match="no list of models"):
        find_model({"models": []}, "x", "http://h")


def echo_reply(text: str, tokens: list[str], logprobs: list[float | None], generated: str = "") -> dict:
    offsets, position = [], 0
    for token in tokens:
        offsets.append(position)
        position += len(token)
    return {"usage": {"prompt_tokens": len(tokens), "completion_tokens": 1 if generated else 0},
            "choices": [{"text": text + generated, "finish_reason": "length", "logprobs": {
        "tokens": tokens, "text_offset": offsets, "token_logprobs": logprobs, "top_logprobs": [None] * len(tokens)}}]}  # fmt: skip


def test_continuation_tokens_are_those_ending_after_the_context():
    tokens = ["The", " sky", " is", " blue", "."]
    reply = echo_reply("The sky is blue", tokens[:4] + ["."], [None, -1.0, -0.5, -2.0, -0.1], generated=".")
    assert continuation_logprob(reply, "The sky is", " blue", "http://h") == Scored(pytest.approx(-2.0), True)
    spaced = echo_reply(" The sky is blue", [" The", " sky", " is", " blue", "."], [None, -1.0, -0.5, -2.0, -0.1], ".")
    spaced["choices"][0]["text"] = "The sky is blue."  # SentencePiece: offsets count the word-start space
    assert continuation_logprob(spaced, "The sky is", " blue", "http://h").logprob == pytest.approx(-2.0)
    merged = echo_reply("The sky is blue", ["The", " sky", " i", "s blue", "."], [None, -1.0, -0.5, -3.0, -0.1], ".")
    assert continuation_logprob(merged, "The sky is", " blue", "http://h").logprob == pytest.approx(-3.0)
    nothing_generated = echo_reply("The sky is blue", tokens[:4], [None, -1.0, -0.5, -2.0])
    assert continuation_logprob(nothing_generated, "The sky is", " blue", "http://h") == Scored(-2.0, False)
    assert scoring_body("m", "x", {"echo": False, "top_k": 1}) | {} == {
        "top_k": 1, "model": "m", "prompt": "x", "max_tokens": 1, "temperature": 0.0, "echo": True, "logprobs": 1,
        "stream": False,
    }  # fmt: skip


def test_shifted_or_missing_prompt_logprobs_are_a_capability_error():
    shifted = echo_reply("The sky is blue", ["The", " sky", " is", " blue"], [None, -1.0, -0.5, -2.0], generated=".")
    with pytest.raises(MissingCapabilityError, match="shifted by one token"):
        continuation_logprob(shifted, "The sky is", " blue", "http://h")
    not_echoed = {"choices": [{"text": ".", "logprobs": {"tokens": ["."], "text_offset": [15], "token_logprobs": [-1.0]}}]}
    with pytest.raises(MissingCapabilityError, match="does not echo the prompt"):
        continuation_logprob(not_echoed, "The sky is", " blue", "http://h")
    with pytest.raises(MissingCapabilityError, match="cannot score a given text"):
        continuation_logprob({"usage": {}, "choices": [{"text": "The sky is blue.", "logprobs": None}]}, "The sky is", " blue", "h")


async def _against(routes: dict, scenario):
    """Run ``scenario(base_url)`` against an aiohttp app answering ``routes`` (path -> (status, JSON))."""
    from aiohttp import web

    def answer(status, body):
        async def handler(request):
            return web.json_response(body, status=status)

        return handler

    app = web.Application()
    for (method, path), (status, body) in routes.items():
        app.router.add_route(method, path, answer(status, body))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        return await scenario(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1")
    finally:
        await runner.cleanup()


LLAMA_SERVER_MODELS = {"object": "list", "data": [{"id": "q8", "object": "model", "created": 1, "owned_by": "llamacpp",
                                                   "meta": {"n_vocab": 49152, "n_params": 134515008, "size": 144803840}}]}  # fmt: skip


def test_a_server_reporting_slots_sets_the_default_concurrency():
    """llama-server's documented /v1/models and /props shapes (the llama-cpp-python server has no
    /props): slots become the default concurrency, meta the size and parameter count."""
    from qframe.plugin_api.protocols import BackendSpec
    from qframe_openai.backend import OpenAIBackend

    props = {"model_path": "/m/q8.gguf", "total_slots": 4, "chat_template": "{{x}}", "build_info": "b7000",
             "default_generation_settings": {"n_ctx": 4096}}  # fmt: skip

    async def scenario(url):
        backend = OpenAIBackend(BackendSpec("openai", "q8", "Q8_0", options={"base_url": url}))
        info = await backend.open()
        await backend.close()
        return backend.default_concurrency, info

    routes = {("GET", "/v1/models"): (200, LLAMA_SERVER_MODELS), ("GET", "/props"): (200, props)}
    concurrency, info = asyncio.run(_against(routes, scenario))
    assert concurrency == 4
    assert (info.size_bytes, info.parameters, info.engine) == (144803840, 134515008, "llama-server over HTTP (b7000)")
    assert info.details["n_ctx"] == 4096 and info.details["identity"]["props"]["model_path"] == "/m/q8.gguf"


def test_a_server_that_rejects_echo_cannot_score():
    from qframe.plugin_api.protocols import BackendSpec, Requirements
    from qframe_openai.backend import OpenAIBackend

    async def scenario(url):
        backend = OpenAIBackend(BackendSpec("openai", "q8", options={"base_url": url}))
        await backend.preflight(Requirements(frozenset({"loglikelihood"})))

    routes = {
        ("GET", "/v1/models"): (200, LLAMA_SERVER_MODELS),
        ("POST", "/v1/completions"): (400, {"error": {"message": "'echo' is not supported"}}),
    }
    with pytest.raises(MissingCapabilityError, match="cannot score a given text .*HTTP 400: 'echo' is not supported"):
        asyncio.run(_against(routes, scenario))
