"""Finding refusal phrases in a response: the earliest hard phrase, else the earliest soft one."""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from qframe_judge_regex.normalise import normalise

HARD, SOFT = "hard", "soft"


@attrs.frozen
class PhraseMatch:
    """The phrase that made a response a refusal (normalised) and whether it is hard or soft."""

    phrase: str
    strength: str


class RefusalMatcher:
    """Matches whole-word phrases on normalised text; a phrase list may be empty."""

    def __init__(self, hard: Sequence[str], soft: Sequence[str]) -> None:
        self.hard = _normalised(hard)
        self.soft = _normalised(soft)
        self._patterns = [(strength, _pattern(phrases)) for strength, phrases in ((HARD, self.hard), (SOFT, self.soft))]

    def find(self, text: str) -> PhraseMatch | None:
        normalised = normalise(text)
        for strength, pattern in self._patterns:
            found = pattern.search(normalised) if pattern is not None else None
            if found is not None:
                return PhraseMatch(found.group(0), strength)
        return None


def _normalised(phrases: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise(phrase) for phrase in phrases if phrase.strip()))


def _pattern(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """One alternation, longest phrase first so the fullest phrase at a position wins."""
    if not phrases:
        return None
    alternatives = "|".join(re.escape(phrase) for phrase in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
