"""The ``transformers`` backend on the tiny random llama: facts, generation, scoring, preflight."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from qframe.plugin_api.errors import BadInputError, MissingCapabilityError
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, Requirements
from qframe_transformers.backend import TransformersBackend


def _request(**overrides) -> GenerationRequest:
    return GenerationRequest(
        **({"prompt": "The capital of France", "max_tokens": 6, "temperature": 0.0, "seed": 7} | overrides)
    )


def _backend(model, **options) -> TransformersBackend:
    return TransformersBackend(BackendSpec("transformers", str(model), "", 7, {"n_threads": 1} | options))


async def _session(model, *calls, **options):
    backend = _backend(model, **options)
    info = await backend.open()
    try:
        return info, [await call(backend) for call in calls], backend
    finally:
        await backend.close()


def test_open_describes_the_model(tiny_hf):
    from qframe.data.hf_checkpoint import file_sha256

    info, _, _ = asyncio.run(_session(tiny_hf))
    assert info.digest == file_sha256(tiny_hf / "model.safetensors")
    assert info.quant == "dense" and info.bits_per_weight == pytest.approx(32.0)
    assert info.size_bytes == (tiny_hf / "model.safetensors").stat().st_size
    assert info.details["device"] == "cpu" and info.details["dtype"] == "float32"
    assert info.details["architecture"] == "llama" and "weights_decompressed" not in info.details
    assert info.engine.startswith("transformers ")


def test_greedy_generation_is_deterministic_with_timings(tiny_hf):
    _, (first, second, plain), _ = asyncio.run(
        _session(
            tiny_hf,
            lambda b: b.generate(_request()),
            lambda b: b.generate(_request()),
            lambda b: b.generate(_request(chat=False)),
        )
    )
    assert first.text == second.text and first.completion_tokens == second.completion_tokens
    assert 1 <= first.completion_tokens <= 6
    assert first.ttft_ms > 0 and first.eval_ms >= 0 and first.eval_tokens == first.completion_tokens - 1
    assert first.finish_reason == ("length" if first.completion_tokens == 6 else "stop")
    # the chat template adds its own turn markers: the chat prompt is longer than the plain one
    assert first.prompt_tokens > plain.prompt_tokens
    assert first.applied["chat_template"] is True and first.applied["device"] == "cpu"


def test_sampling_is_seeded(tiny_hf):
    warm = _request(temperature=1.0, max_tokens=8)
    _, (first, second, other), _ = asyncio.run(
        _session(
            tiny_hf,
            lambda b: b.generate(warm),
            lambda b: b.generate(warm),
            lambda b: b.generate(_request(temperature=1.0, max_tokens=8, seed=8)),
        )
    )
    assert first.text == second.text and first.applied["temperature"] == 1.0
    assert other.text != first.text  # another seed draws another text from the near-uniform tiny model


def test_top_logprobs_are_the_model_distribution_per_generated_token(tiny_hf):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    request = _request(top_logprobs=3, chat=False)
    _, (result,), _ = asyncio.run(_session(tiny_hf, lambda b: b.generate(request)))
    assert result.top_logprobs is not None and len(result.top_logprobs) == result.completion_tokens
    for position in result.top_logprobs:
        values = list(position.values())
        assert 1 <= len(values) <= 3 and values == sorted(values, reverse=True) and all(v <= 0 for v in values)
    # the first position is the distribution after the prompt, as a plain forward pass gives it
    tokenizer = AutoTokenizer.from_pretrained(tiny_hf)
    model = AutoModelForCausalLM.from_pretrained(tiny_hf).eval()
    with torch.no_grad():
        row = torch.log_softmax(model(**tokenizer(request.prompt, return_tensors="pt")).logits[0, -1].float(), -1)
    best = torch.topk(row, 3)
    expected = {tokenizer.decode([int(i)]): float(v) for v, i in zip(best.values, best.indices, strict=True)}
    first = result.top_logprobs[0]
    assert next(iter(first)) == next(iter(expected))
    assert list(first.values())[0] == pytest.approx(list(expected.values())[0], abs=1e-4)


def test_stop_strings_cut_the_text(tiny_hf):
    _, (free,), _ = asyncio.run(_session(tiny_hf, lambda b: b.generate(_request(max_tokens=12))))
    if len(free.text.strip()) < 2:
        pytest.fail(f"the tiny model generated too little to test stops: {free.text!r}")
    stop = free.text.strip()[1:3]
    _, (cut,), _ = asyncio.run(_session(tiny_hf, lambda b: b.generate(_request(max_tokens=12, stop=(stop,)))))
    assert stop not in cut.text and free.text.startswith(cut.text)
    assert cut.finish_reason == "stop"


def test_loglikelihood_matches_a_full_forward_pass(tiny_hf, capfd):
    """The cached context plus one pass per continuation equals scoring each whole sequence afresh
    (and rewinding the cache between continuations prints no deprecation warning)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    context, continuations = "Question: What is two plus two? Answer:", [" four", " five", " Paris", ""]
    _, (scores, reversed_scores), _ = asyncio.run(
        _session(
            tiny_hf,
            lambda b: b.loglikelihood(context, continuations),
            lambda b: b.loglikelihood(context, continuations[::-1]),
        )
    )
    assert capfd.readouterr() == ("", "")
    tokenizer = AutoTokenizer.from_pretrained(tiny_hf)
    model = AutoModelForCausalLM.from_pretrained(tiny_hf).eval()
    n_context = len(tokenizer(context)["input_ids"])
    for continuation, score in zip(continuations, scores, strict=True):
        ids = tokenizer(context + continuation)["input_ids"]
        with torch.no_grad():
            logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)
        expected = sum(float(logprobs[i - 1, ids[i]]) for i in range(n_context, len(ids)))
        assert score == pytest.approx(expected, abs=1e-4)
    assert scores[-1] == 0.0 and scores[0] < 0
    assert reversed_scores[::-1] == pytest.approx(scores, abs=1e-5)


def test_empty_context_is_conditioned_on_bos(tiny_hf):
    _, (scores,), _ = asyncio.run(_session(tiny_hf, lambda b: b.loglikelihood("", ["hello", "world"])))
    assert all(score < 0 for score in scores)


def test_model_without_chat_template_refuses_chat_in_one_line(tiny_hf, tmp_path):
    copy = shutil.copytree(tiny_hf, tmp_path / "plain")
    config = (copy / "tokenizer_config.json").read_text()
    import json

    data = json.loads(config)
    data.pop("chat_template", None)
    (copy / "tokenizer_config.json").write_text(json.dumps(data))
    (copy / "chat_template.jinja").unlink(missing_ok=True)
    with pytest.raises(BadInputError, match="no chat template; use chat = false"):
        asyncio.run(_session(copy, lambda b: b.generate(_request())))


def test_preflight_checks_the_model_and_the_modes(tiny_hf, tmp_path):
    asyncio.run(_backend(tiny_hf).preflight(Requirements(frozenset({"generate", "loglikelihood"}), 5)))
    with pytest.raises(BadInputError, match="model not found"):
        asyncio.run(_backend(tmp_path / "nothing").preflight(Requirements()))
    with pytest.raises(MissingCapabilityError, match="embed"):
        asyncio.run(_backend(tiny_hf).preflight(Requirements(frozenset({"embed"}))))


def test_tiny_gguf_loads_through_transformers_gguf_reader(tmp_path):
    from qframe_llamacpp.tiny_model import write_tiny_llama

    path = write_tiny_llama(tmp_path / "tiny.gguf")
    info, (result, scores), _ = asyncio.run(
        _session(
            path,
            lambda b: b.generate(_request(chat=False, max_tokens=4)),
            lambda b: b.loglikelihood("hello", [" world"]),
        )
    )
    assert info.quant == "gguf" and info.details["loader"] == "gguf" and info.details["weights_decompressed"]
    assert "not a GGUF kernel" in info.details["kernel_note"]
    assert result.completion_tokens >= 1 and scores[0] < 0
