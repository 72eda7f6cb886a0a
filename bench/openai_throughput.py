"""Generation throughput over HTTP: qframe's ``openai`` backend vs a minimal saturating client.

One real llama.cpp server (``python -m llama_cpp.server``, SmolLM2 Q8_0, 2 threads) on
127.0.0.1 serves both sides the same question-answering prompts (50; ``QFRAME_BENCH_PROMPTS``) (chat, max_tokens 32,
greedy, seed 42). The llama-cpp-python server computes one request at a time (a lock around its
single model; it has no parallel slots) and reports no slot count, so qframe runs at its
default concurrency for such a server, 1. The minimal client is a bare aiohttp loop that keeps
4 requests in flight (more than the server can compute at once: it never leaves the server
idle). qframe's side is the generation stage of a run (planning, retry and timeout wrappers,
rows flushed to the Arrow store). Throughput = completion tokens / wall seconds, both on a
warm server (the bare side sends one untimed warm-up request first; qframe's timing includes
opening the backend); 3 rounds alternated (``QFRAME_BENCH_ROUNDS``), medians compared. Target: ratio >= 0.9.

    .venv/bin/python bench/openai_throughput.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from smollm2_ladder import THREADS, host, ladder, middle, samples

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qframe.config import structure_experiment
from qframe.run.plan import expand_items, schedule
from qframe.run.progress import RunProgress
from qframe.run.runner import GenerationStage, RowSink
from qframe.run.session import new_session

from tests.openai.llama_server import LlamaServer

MAX_TOKENS, IN_FLIGHT, MODEL = 32, 4, "smollm2-q8_0"
PROMPTS = int(os.environ.get("QFRAME_BENCH_PROMPTS", "50"))
ROUNDS = int(os.environ.get("QFRAME_BENCH_ROUNDS", "3"))
EXTRA = {"repeat_penalty": 1.0}


def config(url: str) -> dict:
    return {
        "experiment": {"name": "bench-openai", "max_tokens": MAX_TOKENS, "warmup": 0},
        "variants": [{"id": "Q8_0", "backend": "openai", "model": MODEL, "quant": "Q8_0",
                      "options": {"base_url": url, "extra_body": EXTRA}}],
        "tasks": [{"name": "qa", "limit": PROMPTS}],
    }  # fmt: skip


def through_qframe(url: str) -> tuple[float, int]:
    experiment = structure_experiment(config(url))
    prompts = samples("qa", {}, PROMPTS)
    with tempfile.TemporaryDirectory() as folder:
        session = new_session(experiment, host(), Path(folder), "bench")
        items = expand_items(experiment, {"qa": prompts}, {"qa": "generate"})
        units = schedule(items, experiment.resolved_variants(), "sequential", 16)
        stage = GenerationStage(experiment, session.variant_backend, RowSink(session.store, "generations", 64, 1.0),
                                RunProgress(len(items), enabled=False))  # fmt: skip
        # The server is warm (the bare client's warm-up ran first); timing includes opening the backend.
        started = time.perf_counter()
        result = asyncio.run(stage.run(units))
        elapsed = time.perf_counter() - started
        rows = session.store.read("generations").to_pylist()
    assert result.errors == 0
    return elapsed, sum(row["completion_tokens"] for row in rows)


async def _bare(url: str) -> tuple[float, int]:
    import aiohttp

    prompts = [sample.prompt for sample in samples("qa", {}, PROMPTS)]

    def body(prompt: str) -> dict:
        return {"model": MODEL, "messages": [{"role": "user", "content": prompt}], "max_tokens": MAX_TOKENS,
                "temperature": 0.0, "seed": 42} | EXTRA  # fmt: skip

    async with aiohttp.ClientSession() as client:
        async def ask(prompt: str) -> int:
            async with client.post(f"{url}/v1/chat/completions", json=body(prompt)) as reply:
                return (await reply.json())["usage"]["completion_tokens"]

        await ask(prompts[0])  # warm-up
        queue = list(reversed(prompts))
        tokens = 0

        async def worker() -> None:
            nonlocal tokens
            while queue:
                count = await ask(queue.pop())  # awaited before the sum: no lost update
                tokens += count

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return time.perf_counter() - started, tokens


def bare_client(url: str) -> tuple[float, int]:
    return asyncio.run(_bare(url))


def main() -> None:
    model = ladder()["Q8_0"]
    with LlamaServer(model, MODEL, n_ctx=2048, n_threads=THREADS) as server:
        runs: dict[str, list[tuple[float, int]]] = {"bare": [], "qframe": []}
        for _ in range(ROUNDS):
            runs["bare"].append(bare_client(server.url))
            runs["qframe"].append(through_qframe(server.url))
    rates = {side: [tokens / seconds for seconds, tokens in values] for side, values in runs.items()}
    print(f"server: llama_cpp.server, 1 model, {THREADS} threads, model {model.name}; prompts {PROMPTS}, max_tokens {MAX_TOKENS}")
    for side, label in (("bare", f"bare aiohttp client, {IN_FLIGHT} in flight"), ("qframe", "qframe openai backend, default concurrency")):
        detail = ", ".join(f"{tokens} tok / {seconds:.2f} s" for seconds, tokens in runs[side])
        print(f"{label:<44} median {middle(rates[side]):6.1f} tok/s ({detail})")
    print(f"throughput ratio qframe / bare: {middle(rates['qframe']) / middle(rates['bare']):.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
