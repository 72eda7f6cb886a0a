"""Loglikelihood multiple choice over HTTP vs in-process, on the questions of
``bench/llamacpp_multiple_choice.py`` (50 built-in: 20 MMLU-style, 20 ARC-style, 10 TruthfulQA-style).

In-process: qframe's ``llamacpp`` backend (load, score, close; as in that benchmark). Over HTTP:
qframe's ``openai`` backend against ``python -m llama_cpp.server`` serving the same GGUF on
127.0.0.1 (open, score, close; the server already running). Both 2 threads. Chosen answers must
be identical; time ratio HTTP / in-process target at most 1.5. ``--rounds`` alternated (3), medians.

Models (``--model``): ``smollm2`` is SmolLM2 Q8_0 from the demo ladder. Its tokenizer adds no
BOS token, and for such models the llama-cpp-python server returns prompt log-probabilities
shifted by one token, which qframe's preflight refuses (see docs/backends.md): the script then
prints the refusal. ``smollm2-bos`` is a copy of that file with ``add_bos_token`` set, so both
sides prepend BOS and the server's log-probabilities line up (the same weights and vocabulary
of 49,152 tokens, a different prompt start). ``tiny`` is the tiny test llama (BOS, 300 tokens).

    .venv/bin/python bench/openai_multiple_choice.py --model smollm2-bos [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from smollm2_ladder import THREADS, fifty_questions, ladder, middle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qframe.plugin_api.errors import MissingCapabilityError
from qframe.plugin_api.protocols import BackendSpec, Requirements
from qframe_llamacpp.backend import LlamaCppBackend
from qframe_openai.backend import OpenAIBackend

from tests.openai.llama_server import LlamaServer


async def choices(backend) -> list[str]:
    await backend.open()
    try:
        answers = []
        for sample in fifty_questions():
            scores = await backend.loglikelihood(sample.context, list(sample.continuations))
            answers.append(sample.choice_labels[int(np.argmax(scores))])
        return answers
    finally:
        await backend.close()


def in_process(model: Path) -> tuple[float, list[str]]:
    backend = LlamaCppBackend(BackendSpec("llamacpp", str(model), "Q8_0", 42, {"n_threads": THREADS, "n_ctx": 1024}))
    started = time.perf_counter()
    answers = asyncio.run(choices(backend))
    return time.perf_counter() - started, answers


def over_http(url: str, name: str) -> tuple[float, list[str]]:
    backend = OpenAIBackend(BackendSpec("openai", name, "Q8_0", 42, {"base_url": url}))
    started = time.perf_counter()
    answers = asyncio.run(choices(backend))
    return time.perf_counter() - started, answers


def tiny_model(folder: Path) -> Path:
    from qframe_llamacpp.quantize import quantize
    from qframe_llamacpp.tiny_model import write_tiny_llama

    return quantize(write_tiny_llama(folder / "tiny.gguf"), folder / "tiny-Q8_0.gguf", "Q8_0")


def with_bos(model: Path, folder: Path) -> Path:
    """A copy of ``model`` whose tokenizer adds a BOS token (the one metadata flag changed in place)."""
    import shutil

    import gguf

    copy = Path(shutil.copy(model, folder / model.name.replace(".gguf", "-bos.gguf")))
    reader = gguf.GGUFReader(copy, "r+")
    field = reader.fields["tokenizer.ggml.add_bos_token"]
    field.parts[field.data[0]][0] = True
    reader.data.flush()
    return copy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=("smollm2", "smollm2-bos", "tiny"), default="smollm2-bos")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    which, rounds = arguments.model, arguments.rounds
    with tempfile.TemporaryDirectory() as folder:
        models = {"smollm2": lambda: ladder()["Q8_0"], "smollm2-bos": lambda: with_bos(ladder()["Q8_0"], Path(folder)),
                  "tiny": lambda: tiny_model(Path(folder))}  # fmt: skip
        model = models[which]()
        with LlamaServer(model, "bench-q8_0", n_ctx=1024, n_threads=THREADS) as server:
            probe = OpenAIBackend(BackendSpec("openai", "bench-q8_0", "Q8_0", 42, {"base_url": server.url}))
            try:
                asyncio.run(probe.preflight(Requirements(frozenset({"loglikelihood"}))))
            except MissingCapabilityError as exc:
                print(f"model {model.name}: refused by preflight: {exc}")
                return
            local, http = [], []
            for _ in range(rounds):
                local.append(in_process(model))
                http.append(over_http(server.url, "bench-q8_0"))
    identical = local[-1][1] == http[-1][1] and all(answers == local[0][1] for _, answers in local + http)
    n = len(local[0][1])
    local_s, http_s = middle([s for s, _ in local]), middle([s for s, _ in http])
    print(f"questions: {n}, model {model.name}, threads {THREADS}, server llama_cpp.server")
    print(f"in-process (llamacpp backend, incl. load): {local_s / n:.3f} s/question (runs {', '.join(f'{s:.1f}' for s, _ in local)} s)")
    print(f"over HTTP (openai backend):               {http_s / n:.3f} s/question (runs {', '.join(f'{s:.1f}' for s, _ in http)} s)")
    print(f"time ratio HTTP / in-process: {http_s / local_s:.3f} (target <= 1.5); identical answers: {identical}")


if __name__ == "__main__":
    main()
