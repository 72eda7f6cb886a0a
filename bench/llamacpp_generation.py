"""Generation through qframe vs a bare llama-cpp-python loop: same 50 prompts, model, settings.

qframe's path is the generation stage of a run (planning, scheduling, retry and timeout
wrappers, the backend's worker thread, row building and flushing to the Arrow store). The bare
loop calls ``Llama.create_chat_completion`` directly. Both reset the KV cache before every
prompt (qframe's engine re-evaluates every prompt so timings do not depend on item order), use
greedy decoding at temperature 0 with seed 42, max_tokens 32, 2 threads, on SmolLM2 Q8_0.
Both include loading the model (qframe also hashes the file for the manifest) and one warm-up
call. The two are run alternately, 5 rounds, each run in a fresh process; the ratio is the median
of the per-round ratios (see ``round_ratio``), printed beside the ratio of the medians.
Target: at most 1.05.

    .venv/bin/python bench/llamacpp_generation.py
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from smollm2_ladder import THREADS, alternate, host, ladder, middle, round_ratio, samples

from qframe.config import structure_experiment
from qframe.run.plan import expand_items, schedule
from qframe.run.progress import RunProgress
from qframe.run.runner import GenerationStage, RowSink
from qframe.run.session import new_session

MAX_TOKENS = 32
SAMPLING = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1.0}


def config(model: Path) -> dict:
    return {
        "experiment": {"name": "bench-gen", "max_tokens": MAX_TOKENS, "warmup": 1},
        "variants": [{"id": "Q8_0", "backend": "llamacpp", "model": str(model), "quant": "Q8_0",
                      "options": {"n_threads": THREADS, "n_ctx": 1024}}],
        "tasks": [{"name": "qa", "limit": 50}],
    }


def through_qframe(model: Path) -> None:
    experiment = structure_experiment(config(model))
    prompts = samples("qa", {}, 50)
    with tempfile.TemporaryDirectory() as folder:
        session = new_session(experiment, host(), Path(folder), "bench")
        items = expand_items(experiment, {"qa": prompts}, {"qa": "generate"})
        units = schedule(items, experiment.resolved_variants(), "sequential", 16)
        sink = RowSink(session.store, "generations", 64, 1.0)
        stage = GenerationStage(experiment, session.variant_backend, sink, RunProgress(len(items), enabled=False))
        assert asyncio.run(stage.run(units)).errors == 0


def bare_loop(model: Path) -> None:
    from llama_cpp import Llama

    prompts = samples("qa", {}, 50)
    llm = Llama(model_path=str(model), n_ctx=1024, n_threads=THREADS, seed=42, verbose=False)
    llm.create_chat_completion([{"role": "user", "content": prompts[0].prompt}], max_tokens=MAX_TOKENS,
                               temperature=0.0, seed=42, **SAMPLING)  # warm-up
    for sample in prompts:
        llm.reset()
        llm.create_chat_completion(
            [{"role": "user", "content": sample.prompt}], max_tokens=MAX_TOKENS, temperature=0.0, seed=42, **SAMPLING
        )
    llm.close()


def main() -> None:
    model = ladder()["Q8_0"]
    (bare, qframe), _ = alternate(5, [(bare_loop, (model,)), (through_qframe, (model,))])
    print(f"prompts: 50, max_tokens {MAX_TOKENS}, threads {THREADS}, model {model.name}")
    print(f"bare llama-cpp-python loop: {middle(bare):.2f} s (runs: {', '.join(f'{s:.2f}' for s in bare)})")
    print(f"through qframe:             {middle(qframe):.2f} s (runs: {', '.join(f'{s:.2f}' for s in qframe)})")
    print(f"wall-time ratio qframe / bare, median of rounds: {round_ratio(qframe, bare):.3f} (target <= 1.05); "
          f"ratio of medians {middle(qframe) / middle(bare):.3f}")


if __name__ == "__main__":
    main()
