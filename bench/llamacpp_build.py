"""Which llama.cpp build to install: decode tokens/s per quant, per build, repacking on or off.

The choice in ``scripts/setup.sh`` (explicit instruction sets, AMX off) is weighed against the
other way around the AMX crash, opening models with ``use_extra_bufts = False`` (no extra
buffer types, which also turns off weight repacking), and against llama.cpp's native build
where that one runs. For each build (an interpreter with llama-cpp-python installed), quant and
setting a fresh process loads the SmolLM2 rung and decodes 96 tokens greedily, 3 times; the
best native decode rate (llama.cpp's own counters) is kept. Runs are interleaved per quant.

    .venv/bin/python bench/llamacpp_build.py [--build NAME=PYTHON ...]

``--build native=/path/to/venv/bin/python`` adds a build (e.g. one made with
``CMAKE_ARGS=-DGGML_NATIVE=ON``); the installed one is always measured as ``chosen``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

from smollm2_ladder import THREADS, ladder

QUANTS = ("Q8_0", "Q4_K_M", "Q4_0", "Q2_K")
TOKENS = 96
REPEATS = 3

_CHILD = r"""
import json, sys
import llama_cpp
from llama_cpp import llama as llama_module
path, threads, tokens, repack = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
defaults = llama_cpp.llama_model_default_params
def params():
    p = defaults()
    p.use_extra_bufts = repack
    return p
llama_module.llama_cpp.llama_model_default_params = params
llm = llama_cpp.Llama(model_path=path, n_ctx=512, n_threads=threads, seed=42, verbose=False)
rates = []
for _ in range(int(sys.argv[5])):
    llm.reset()
    llama_cpp.llama_perf_context_reset(llm.ctx)
    llm.create_completion("Once upon a time", max_tokens=tokens, temperature=0.0, seed=42)
    perf = llama_cpp.llama_perf_context(llm.ctx)
    rates.append(perf.n_eval / perf.t_eval_ms * 1000.0)
info = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
print(json.dumps({"best": max(rates), "rates": rates, "system_info": info}))
"""


def decode_rate(python: str, model: Path, repack: bool) -> dict:
    command = [python, "-c", _CHILD, str(model), str(THREADS), str(TOKENS), "1" if repack else "0", str(REPEATS)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"best": None, "error": f"exit code {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="append", default=[], metavar="NAME=PYTHON")
    builds = {"chosen": sys.executable} | dict(entry.split("=", 1) for entry in parser.parse_args().build)
    rungs = ladder()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"CPU: {cpu}; {THREADS} threads; SmolLM2-135M; decode {TOKENS} tokens, best of {REPEATS}")
    settings = [(name, repack) for name in builds for repack in (True, False)]
    print("| quant | " + " | ".join(f"{name}, repack {'on' if repack else 'off'}" for name, repack in settings) + " |")
    print("|" + " --- |" * (len(settings) + 1))
    infos: dict[str, str] = {}
    for quant in QUANTS:
        cells = []
        for name, repack in settings:
            result = decode_rate(builds[name], rungs[quant], repack)
            infos.setdefault(name, result.get("system_info", result.get("error", "")))
            cells.append(f"{result['best']:.1f}" if result["best"] else result["error"])
        print(f"| {quant} | " + " | ".join(cells) + " |")
    for name, info in infos.items():
        print(f"{name}: {info}")


if __name__ == "__main__":
    main()
