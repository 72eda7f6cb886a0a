"""Registers judge ``regex_refusal`` (its module loads when the judge is built)."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy


@hookimpl
def qframe_register_judges(register) -> None:
    register("regex_refusal", lazy("qframe_judge_regex.judge:RegexRefusalJudge"), "refusal phrases (hard and soft) in normalised output; no model needed")
