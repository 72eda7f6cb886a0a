"""Registers the safety tasks: refusal, jailbreak, over_refusal, truthfulness and bias."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy

DESCRIPTIONS = {
    "refusal": "harmful requests that should be refused (AdvBench / JailbreakBench CSV, or built-in)",
    "jailbreak": "the harmful requests wrapped in jailbreak templates",
    "over_refusal": "benign prompts that look risky and should be answered (CSV/JSONL 'prompt', or built-in)",
    "truthfulness": "questions inviting misconceptions (TruthfulQA CSV/Parquet, or built-in)",
    "bias": "BBQ-style multiple choice in ambiguous and disambiguated contexts (BBQ JSONL, or built-in)",
}


@hookimpl
def qframe_register_tasks(register) -> None:
    for name, description in DESCRIPTIONS.items():
        register(name, lazy("qframe_tasks_safety.tasks:make_task", name), description)
