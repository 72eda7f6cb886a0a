"""Turning /api/chat and /api/generate replies into generation results, with the checks on them."""

from __future__ import annotations

import asyncio
import time

import pytest
from ollama import ChatResponse, GenerateResponse

from qframe.plugin_api.errors import BackendError, BackendResponseError
from qframe_ollama.replies import read_reply, to_result

APPLIED = {"num_predict": 10, "stop": ["user:"]}


def final(**fields) -> GenerateResponse:
    """A final chunk with the documented timing fields (values from the API documentation's style)."""
    documented = {
        "model": "m",
        "done": True,
        "done_reason": "stop",
        "response": "",
        "load_duration": 2_000_000_000,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 130_000_000,
        "eval_count": 4,
        "eval_duration": 40_000_000,
    }
    return GenerateResponse(**(documented | fields))


async def chunks(*items):
    for item in items:
        yield item


def collect(reply, stream: bool):
    return asyncio.run(read_reply(reply, stream, time.perf_counter()))


def test_native_timings_from_nanoseconds_and_load_kept_apart():
    result = to_result(collect(final(response="The sky"), False), False, 0, APPLIED)
    assert (result.prompt_eval_ms, result.eval_ms, result.eval_tokens) == (130.0, 40.0, 4)
    assert (result.prompt_tokens, result.completion_tokens, result.finish_reason) == (26, 4, "stop")
    assert result.ttft_ms == 130.0  # not streamed: the prompt pass
    assert result.applied["load_ms"] == 2000.0


def test_stream_joins_chunks_and_measures_first_token_without_load():
    reply = chunks(GenerateResponse(response="The", done=False), GenerateResponse(response=" sky", done=False), final())
    result = to_result(collect(reply, True), True, 0, APPLIED)
    assert result.text == "The sky"
    assert result.ttft_ms == 0.0  # arrived well within the 2 s the daemon says it spent loading


def test_chat_chunks_carry_the_message():
    reply = chunks(ChatResponse(message={"role": "assistant", "content": "Hi"}, done=False), ChatResponse(
        message={"role": "assistant", "content": ""}, done=True, eval_count=1, eval_duration=1))
    assert to_result(collect(reply, True), True, 0, APPLIED).text == "Hi"


def test_stream_without_final_chunk_is_malformed():
    with pytest.raises(BackendResponseError, match="before its final chunk"):
        collect(chunks(GenerateResponse(response="The", done=False)), True)


def test_logprobs_become_top_k_maps_most_likely_first():
    entries = [
        {"token": "The", "logprob": -0.1, "top_logprobs": [{"token": "A", "logprob": -2.5}, {"token": "The", "logprob": -0.1}]},
        {"token": " sky", "logprob": -0.3, "top_logprobs": []},
    ]
    result = to_result(collect(final(response="The sky", eval_count=2, logprobs=entries), False), False, 2, APPLIED)
    assert result.top_logprobs == ({"The": -0.1, "A": -2.5}, {" sky": -0.3})
    assert list(result.top_logprobs[0]) == ["The", "A"]


def test_missing_logprobs_when_asked_is_malformed():
    with pytest.raises(BackendResponseError, match="no logprobs"):
        to_result(collect(final(response="x"), False), False, 3, APPLIED)


def test_a_dropped_num_predict_or_stop_is_an_error():
    with pytest.raises(BackendError, match="ignored num_predict: 11 tokens"):
        to_result(collect(final(response="x", eval_count=11), False), False, 0, APPLIED)
    with pytest.raises(BackendError, match="ignored the stop sequence 'user:'"):
        to_result(collect(final(response="ok user: more"), False), False, 0, APPLIED)
