"""Scale-out: measured per-variant times, Ray overhead, and a paper estimate for the 51-cell matrix.

1. Ray overhead: the same mock ladder (8 variants x ITEMS items, ``latency_s`` per call) run
   by the local executor and by the ray executor on a local two-node Ray cluster (loopback).
2. Per-variant times of a real model: each rung of the SmolLM2-135M demo ladder opened by the
   llama.cpp backend (load time) and run on LLAMA_ITEMS generation items of ``max_tokens`` 64
   (time per item), on this machine's CPU.
3. The paper estimate: the seeds' 51 (model, quant) cells, each with the seed's average item
   count, timed by scaling the measured per-item time with the bytes of weights read per token
   (decode is memory-bound), then packed onto N workers longest-first (the greedy schedule
   Ray's queue approximates). The ratio one-machine / N-workers does not depend on the anchor.

    .venv/bin/python bench/scale_out.py            # both parts
    .venv/bin/python bench/scale_out.py llama      # per-variant times and the estimate only
"""

from __future__ import annotations

import asyncio
import heapq
import functools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ITEMS = 200
LATENCY_S = 0.02
LLAMA_ITEMS = 4

print = functools.partial(print, flush=True)  # noqa: A001 - progress lines appear as they are measured
QUANTS = ["F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_S", "Q2_K"]

# The seeds' matrix (seed 003, SS1.3 and SS4.1): 6 models; 40 GGUF cells (FP16..Q2_K; the two 7B
# models use Q8_0 as baseline, so no FP16 cell), 5 AWQ and 6 GPTQ cells (phi-2 AWQ failed), and
# 41,895 quality + 48,603 safety samples over the 51 cells.
MODELS = {"llama3.2-1b": 1.24, "llama3.2-3b": 3.21, "qwen2.5-1.5b": 1.54, "phi-2": 2.78, "mistral-7b": 7.25,
          "qwen2.5-7b": 7.62}
BITS = {"FP16": 16.0, "Q8_0": 8.5, "Q6_K": 6.56, "Q5_K_M": 5.69, "Q4_K_M": 4.89, "Q3_K_S": 3.5, "Q2_K": 3.0,
        "AWQ": 4.25, "GPTQ": 4.25}
ITEMS_PER_CELL = (41_895 + 48_603) / 51
SMOLLM2_PARAMS_B = 0.135


def seed_cells() -> list[tuple[str, str]]:
    cells = []
    for model in MODELS:
        gguf = ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_S", "Q2_K"] + ([] if "7b" in model else ["FP16"])
        cells += [(model, quant) for quant in gguf]
        cells += [(model, "GPTQ")] + ([] if model == "phi-2" else [(model, "AWQ")])
    return cells


def makespan(durations: list[float], workers: int) -> float:
    """Longest-processing-time-first packing onto ``workers`` (each takes the next free job)."""
    loads = [0.0] * workers
    heapq.heapify(loads)
    for duration in sorted(durations, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + duration)
    return max(loads)


def mock_config(executor: dict | None) -> dict:
    config = {
        "experiment": {"name": "bench-scale", "max_tokens": 16, "warmup": 0},
        "ladder": {"backend": "mock", "model": "m-{quant}", "quants": QUANTS, "options": {"latency_s": LATENCY_S}},
        "tasks": [{"name": "mock", "limit": ITEMS}],
        "concurrency": {"mock": 1},
    }
    if executor:
        config["executor"] = executor
    return config


def run_config(config: dict, out: Path, run_id: str) -> float:
    from qframe.config import structure_experiment
    from qframe.plugin_api.plugins import get_host
    from qframe.run.session import execute, new_session

    session = new_session(structure_experiment(config), get_host(), out, run_id)
    started = time.perf_counter()
    outcome = asyncio.run(execute(session, progress=False))
    assert outcome.exit_code == 0, outcome
    return time.perf_counter() - started


def ray_overhead(out: Path) -> None:
    import ray
    from ray.cluster_utils import Cluster

    local_s = run_config(mock_config(None), out, "local")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "object_store_memory": 80 << 20,
                                                            "include_dashboard": False})
    cluster.add_node(num_cpus=2, object_store_memory=80 << 20)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    try:
        executor = {"name": "ray", "address": cluster.address, "resources_per_variant": {"CPU": 1}}
        ray_s = run_config(mock_config(executor), out, "ray")
    finally:
        ray.shutdown()
        cluster.shutdown()
    busy = len(QUANTS) * ITEMS * LATENCY_S
    print(f"mock ladder {len(QUANTS)} variants x {ITEMS} items, {LATENCY_S * 1000:g} ms per call, one call at a time")
    print(f"  local executor: {local_s:.1f} s (calls alone: {busy:.1f} s)")
    print(f"  ray, 2 nodes x 2 CPUs, 1 CPU per variant: {ray_s:.1f} s (ideal with 4 slots: {busy / 4:.1f} s)")


def llama_variant_times() -> dict[str, tuple[float, float]]:
    """quant -> (load seconds, seconds per generation item) for the SmolLM2 demo ladder."""
    from qframe.data.cache import cache_dir
    from qframe.plugin_api.protocols import BackendSpec, GenerationRequest
    from qframe_llamacpp.backend import LlamaCppBackend
    from qframe_llamacpp.demo import demo_experiment

    config = demo_experiment(cache_dir() / "demo", log=lambda _: None)
    ladder = config["ladder"]
    prompts = [f"Explain in two sentences why the number {n} is interesting." for n in range(LLAMA_ITEMS)]
    times = {}

    async def measure(quant: str) -> tuple[float, float]:
        backend = LlamaCppBackend(BackendSpec("llamacpp", ladder["model"].replace("{quant}", quant), quant))
        started = time.perf_counter()
        await backend.open()
        load = time.perf_counter() - started
        await backend.generate(GenerationRequest(prompt="warm up", max_tokens=8, temperature=0.0, seed=42))
        started = time.perf_counter()
        for prompt in prompts:
            await backend.generate(GenerationRequest(prompt=prompt, max_tokens=64, temperature=0.0, seed=42))
        per_item = (time.perf_counter() - started) / len(prompts)
        await backend.close()
        return load, per_item

    for quant in ladder["quants"]:
        times[quant] = asyncio.run(measure(quant))
        print(f"  SmolLM2-135M {quant:<7} load {times[quant][0]:.2f} s, {times[quant][1]:.3f} s per item")
    return times


def estimate(times: dict[str, tuple[float, float]]) -> None:
    bytes_per_item_s = statistics.median(
        per_item / (SMOLLM2_PARAMS_B * BITS.get(quant, 16.0)) for quant, (_, per_item) in times.items()
    )
    load_per_bit_b = statistics.median(load / (SMOLLM2_PARAMS_B * BITS.get(q, 16.0)) for q, (load, _) in times.items())
    durations = [
        ITEMS_PER_CELL * bytes_per_item_s * MODELS[m] * BITS[q] + load_per_bit_b * MODELS[m] * BITS[q]
        for m, q in seed_cells()
    ]
    total = sum(durations)
    print(f"51-cell matrix, {ITEMS_PER_CELL:.0f} items per cell, times scaled from this CPU by weight bytes:")
    print(f"  one worker: {total / 3600:.1f} h")
    for workers in (2, 4, 8, 16, 51):
        span = makespan(durations, workers)
        print(f"  {workers:>2} workers: {span / 3600:.1f} h  (speed-up {total / span:.1f}x, "
              f"bounded by the longest cell {max(durations) / 3600:.1f} h)")


def main() -> None:
    part = sys.argv[1] if len(sys.argv) > 1 else "all"
    if part in ("all", "ray"):
        with tempfile.TemporaryDirectory() as folder:
            ray_overhead(Path(folder))
    if part in ("all", "llama"):
        print("per-variant times, llama.cpp on this CPU:")
        estimate(llama_variant_times())


if __name__ == "__main__":
    main()
