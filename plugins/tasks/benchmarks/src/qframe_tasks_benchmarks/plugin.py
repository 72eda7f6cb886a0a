"""Registers the multiple-choice benchmark tasks (each reads its data only when run)."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy

DESCRIPTIONS = {
    "mmlu": "MMLU multiple choice, stratified by subject (default 5 per subject: 285 items)",
    "arc_challenge": "ARC-Challenge science multiple choice (default 200 items)",
    "hellaswag": "HellaSwag sentence completion as multiple choice (default 200 items)",
    "truthfulqa_mc": "TruthfulQA single-answer multiple choice, MC1 (default 200 items)",
    "arithmetic": "built-in arithmetic drill computed by the project (1,300 items in 4 operations; no download)",
}


@hookimpl
def qframe_register_tasks(register) -> None:
    for name, description in DESCRIPTIONS.items():
        register(name, lazy("qframe_tasks_benchmarks.task:make_task", name), description)
