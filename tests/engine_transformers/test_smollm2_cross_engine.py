"""SmolLM2's F16 GGUF on llama.cpp and on transformers: the same prompt tokens and teacher-forced
distributions that agree, so a mixed ladder's fidelity figures measure quantization, not engines."""

from __future__ import annotations

import asyncio

import pytest

from qframe.fidelity.positions import compare_teacher_forced
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, TeacherForcedRequest

pytestmark = pytest.mark.slow

PROMPTS = ("What is the capital of France?", "Write a haiku about rain.", "Explain a quantized model in one sentence.")
TOP_K = 256


def test_llamacpp_and_transformers_agree_on_the_f16_weights(smollm2_f16):
    from qframe_llamacpp.backend import LlamaCppBackend
    from qframe_transformers.backend import TransformersBackend

    f16 = str(smollm2_f16)

    async def baseline_references():
        llama = LlamaCppBackend(BackendSpec("llamacpp", f16, "F16", 42, {"n_threads": 2, "n_ctx": 1024}))
        await llama.open()
        try:
            references = []
            for prompt in PROMPTS:
                generated = await llama.generate(GenerationRequest(prompt, 24, 0.0, 42))
                request = TeacherForcedRequest(prompt=prompt, text=generated.text, append_end=True, top_k=TOP_K)
                references.append((prompt, await llama.teacher_force(request)))
            return references
        finally:
            await llama.close()

    async def variant_scores(references):
        transformers = TransformersBackend(BackendSpec("transformers", f16, "F16", 42, {"n_threads": 2}))
        await transformers.open()
        try:
            return [
                await transformers.teacher_force(
                    TeacherForcedRequest(prompt=prompt, tokens=reference.tokens, at_ids=reference.top_ids)
                )
                for prompt, reference in references
            ]
        finally:
            await transformers.close()

    references = asyncio.run(baseline_references())
    variants = asyncio.run(variant_scores(references))
    kl, top1 = [], []
    for (_, reference), variant in zip(references, variants, strict=True):
        assert len(reference.tokens) >= 3
        comparison = compare_teacher_forced(
            reference.top_ids, reference.top_logprobs, reference.rest_logprob, reference.token_logprobs,
            variant.at_logprobs, variant.rest_logprob, variant.top1, variant.token_logprobs,
        )  # fmt: skip
        kl += comparison.kl
        top1 += comparison.top1_match
    # Measured: mean KL about 3e-6 nats (F16 weights in llama.cpp's kernels against float32 math).
    assert sum(kl) / len(kl) < 1e-4 and max(kl) < 1e-3
    assert all(top1)
