"""Strict reading of a judge model's reply. Nothing is guessed from free text.

``verdict_line`` (the built-in templates): the reply must hold a line ``VERDICT: <word>``,
where ``<word>`` is one of the allowed words (any case; Markdown emphasis and trailing
punctuation around it are ignored). Several VERDICT lines must agree. ``first_word`` (for
classifier models that answer with a bare word, e.g. ``safe``/``unsafe``): the reply's first
word must be an allowed word. Anything else is unparsed, with the reason recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

VERDICT_LINE, FIRST_WORD = "verdict_line", "first_word"
PARSE_MODES = (VERDICT_LINE, FIRST_WORD)
CONFIDENCE_LEVELS = ("high", "medium", "low")

_MARKUP = r"[^\w\n]*"
_FIRST_WORD = re.compile(r"[^\w]*(\w+)")


@attrs.frozen
class Parsed:
    """The label a reply maps to, or None with the reason it could not be read."""

    label: str | None
    reason: str = ""


def parse_reply(text: str, words: Mapping[str, str], mode: str) -> Parsed:
    """Read a reply; ``words`` maps each allowed answer word (lower case) to the stored label."""
    if not text.strip():
        return Parsed(None, "empty reply")
    if mode == FIRST_WORD:
        return _first_word(text, words)
    values = _keyed_values(text, "verdict")
    if not values:
        return Parsed(None, "no 'VERDICT: <word>' line")
    unknown = [value for value in values if value not in words]
    if unknown:
        return Parsed(None, f"VERDICT {unknown[0]!r} is not one of: {', '.join(words)}")
    labels = {words[value] for value in values}
    if len(labels) > 1:
        return Parsed(None, f"conflicting VERDICT lines: {', '.join(sorted(labels))}")
    return Parsed(labels.pop())


def parse_confidence(text: str) -> str | None:
    """The level of a single (or consistent) ``CONFIDENCE: high|medium|low`` line, else None."""
    levels = set(_keyed_values(text, "confidence"))
    return levels.pop() if len(levels) == 1 and levels <= set(CONFIDENCE_LEVELS) else None


def _keyed_values(text: str, key: str) -> list[str]:
    """Lower-cased values of every ``KEY: value`` line."""
    pattern = re.compile(rf"^{_MARKUP}{key}{_MARKUP}:{_MARKUP}(?P<value>.*?){_MARKUP}$", re.IGNORECASE | re.MULTILINE)
    return [match.group("value").strip().lower() for match in pattern.finditer(text)]


def _first_word(text: str, words: Mapping[str, str]) -> Parsed:
    match = _FIRST_WORD.match(text)
    word = match.group(1).lower() if match else ""
    if word not in words:
        return Parsed(None, f"first word {word!r} is not one of: {', '.join(words)}")
    return Parsed(words[word])
