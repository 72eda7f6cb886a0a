"""Registers judges ``llm`` and ``pairwise`` (their modules load when a judge is built)."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy


@hookimpl
def qframe_register_judges(register) -> None:
    register("llm", lazy("qframe_judge_llm.judge:LlmJudge"), "any registered backend and model judges refusal, truthfulness or bias")
    register("pairwise", lazy("qframe_judge_llm.pairwise:PairwiseJudge"), "blinded A/B comparison of a variant with its baseline: win, lose or tie")
