"""Text normalisation shared by refusal phrases and model output, so both compare alike."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark (the usual curly apostrophe)
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u02bc": "'",  # modifier letter apostrophe
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
    }
)
_WORD = re.compile(r"[\w']+")


def normalise(text: str) -> str:
    """Compatibility-normalised (NFKC), straight quotes, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold().split())


def opening_words(text: str, count: int) -> str:
    """The first ``count`` words of the normalised text, punctuation and markup dropped."""
    return " ".join(_WORD.findall(normalise(text))[:count])
