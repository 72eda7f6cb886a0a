"""Registers judge ``regex_refusal``."""

from __future__ import annotations

from qframe.hookspecs import hookimpl


@hookimpl
def qframe_register_judges(register) -> None:
    from qframe_judge_regex.judge import NAME, RegexRefusalJudge

    register(NAME, RegexRefusalJudge, "refusal phrases (hard and soft) in normalised output; no model needed")
