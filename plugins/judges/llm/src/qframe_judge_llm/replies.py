"""Turning a judge model's reply into a label and the detail stored with the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qframe.analysis.verdict_summaries import ERROR, UNPARSED
from qframe_judge_llm.model import Reply
from qframe_judge_llm.parsing import parse_confidence, parse_reply
from qframe_judge_llm.templates import JudgeTemplate


def read_reply(reply: Reply, words: Mapping[str, str], mode: str, confidence: bool) -> tuple[str, dict[str, Any]]:
    """(label, detail): the parsed label, ``unparsed`` with its reason, or ``error``.

    With ``confidence`` the detail holds the ``CONFIDENCE:`` level (None when the reply has no
    readable one); it never decides whether the verdict itself parsed.
    """
    if reply.error is not None:
        return ERROR, {"error": reply.error}
    parsed = parse_reply(reply.text, words, mode)
    detail: dict[str, Any] = dict(parsed.detail) if parsed.label is not None else {"reason": parsed.reason}
    if confidence:
        detail["confidence"] = parse_confidence(reply.text)
    return (parsed.label if parsed.label is not None else UNPARSED), detail


def template_detail(template: JudgeTemplate) -> dict[str, str]:
    """Which template asked: kind, where it came from and its SHA-256."""
    return {"template": template.kind, "template_source": template.source, "template_digest": template.digest}
