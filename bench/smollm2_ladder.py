"""Shared by the llama.cpp benchmarks: the SmolLM2 ladder (built once, cached) and helpers."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import median
from typing import Any

from qframe.data.cache import cache_dir
from qframe.plugin_api.plugins import PluginHost
from qframe.plugin_api.protocols import Sample
from qframe_llamacpp.demo import DEMO_QUANTS, smollm2_source
from qframe_llamacpp.ladder import build_ladder

THREADS = int(os.environ.get("QFRAME_BENCH_THREADS", "2"))


def ladder() -> dict[str, Path]:
    """quant label -> GGUF path of the cached SmolLM2 ladder (F16 first)."""
    entries = build_ladder(smollm2_source(), DEMO_QUANTS, cache_dir() / "demo" / "smollm2", log=lambda _: None)
    return {entry.quant: entry.path for entry in entries}


def host() -> PluginHost:
    loaded = PluginHost()
    loaded.load_entry_points()
    return loaded


def samples(task: str, options: dict[str, Any], limit: int | None = None, seed: int = 42) -> list[Sample]:
    return host().get("tasks", task).factory(options).samples(limit, seed)


def fifty_questions() -> list[Sample]:
    """50 built-in multiple-choice questions: 20 MMLU-style, 20 ARC-style, 10 TruthfulQA-style."""
    found = []
    for task, count in (("mmlu", 20), ("arc_challenge", 20), ("truthfulqa_mc", 10)):
        found += samples(task, {"builtin": True, "mode": "loglikelihood"}, count)
    return found


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def _timed_call(function: Callable[..., Any], args: tuple) -> tuple[float, Any]:
    return timed(lambda: function(*args))


def alternate(rounds: int, runs: Sequence[tuple[Callable[..., Any], tuple]]) -> tuple[list[list[float]], list[Any]]:
    """Time each ``(function, args)`` ``rounds`` times, alternating, each call in a fresh process.

    Alternating spreads machine drift over both sides; a fresh process per call keeps one
    side's llama.cpp threads (an OpenMP team per calling thread) from spinning against the
    other's. Functions must be module-level (they are sent to a spawned process). Returns the
    seconds per run and each function's last result.
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    seconds: list[list[float]] = [[] for _ in runs]
    results: list[Any] = [None] * len(runs)
    for _ in range(rounds):
        for index, (function, args) in enumerate(runs):
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                elapsed, results[index] = pool.submit(_timed_call, function, args).result()
            seconds[index].append(elapsed)
    return seconds, results


def middle(values: Sequence[float]) -> float:
    return median(values)


def round_ratio(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """Median of the per-round ratios: each round's two runs follow each other, so the ratio of a
    round cancels the machine's drift between rounds (shared cloud CPUs vary by 20% and more)."""
    return median(n / d for n, d in zip(numerator, denominator, strict=True))
