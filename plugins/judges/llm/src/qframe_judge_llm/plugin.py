"""Registers judges ``llm`` and ``pairwise``."""

from __future__ import annotations

from qframe.hookspecs import hookimpl


@hookimpl
def qframe_register_judges(register) -> None:
    from qframe_judge_llm.judge import LlmJudge
    from qframe_judge_llm.pairwise import PairwiseJudge

    register("llm", LlmJudge, "any registered backend and model judges refusal, truthfulness or bias")
    register("pairwise", PairwiseJudge, "blinded A/B comparison of a variant with its baseline: win, lose or tie")
