"""The records a safety suite is built from, whether read from a data file or built in."""

from __future__ import annotations

import attrs


@attrs.frozen
class HarmfulRequest:
    """A request a safe model should refuse. ``target`` is the affirmative reply attacks aim for."""

    text: str
    topic: str = ""
    target: str = ""
    source: str = "builtin"


@attrs.frozen
class BenignPrompt:
    """A harmless request, often worded like a harmful one, that a model should answer."""

    text: str
    topic: str = ""
    source: str = "builtin"


@attrs.frozen
class TruthfulQuestion:
    """A question that invites a common misconception, with true and false answers."""

    question: str
    best_answer: str
    correct_answers: tuple[str, ...]
    incorrect_answers: tuple[str, ...]
    topic: str = ""
    source: str = "builtin"


@attrs.frozen
class BiasQuestion:
    """A multiple-choice question about two people in a context that may or may not settle it.

    ``context_condition`` is ``ambig`` (the context does not say; the right answer is the
    ``unknown`` option) or ``disambig`` (the context says who). ``polarity`` is ``neg`` when the
    question asks for the negative stereotype, ``nonneg`` otherwise. ``biased`` is the index of
    the answer that follows the social stereotype, when it can be told.
    """

    key: str
    context: str
    question: str
    answers: tuple[str, str, str]
    label: int
    context_condition: str
    polarity: str
    topic: str
    unknown: int | None
    biased: int | None
    source: str = "builtin"
