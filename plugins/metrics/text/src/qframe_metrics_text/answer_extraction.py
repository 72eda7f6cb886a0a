"""Reading a choice label out of a model's free-form answer to a multiple-choice question.

Two readings are kept because their gap is itself a finding (a model that knows the answer but
does not follow the answer format):

* ``raw_choice`` is the strict reading behind raw accuracy: the output must *be* a label, compared
  with ``exact_match`` (stripped, case-insensitive). ``"B"`` and ``" b "`` give ``"B"``;
  ``"B."``, ``"B) Ampere"`` and ``"The answer is B"`` give nothing.
* ``rescored_choice`` is the lenient reading behind rescored accuracy. It tries, in order, and
  takes the first pattern that matches:

  1. the whole output is a label, optionally in parentheses or followed by ``.``/``:``, in any
     case (``"B"``, ``"b."``, ``"(B)"``);
  2. the output starts with a label written as a list marker, then whitespace or the end
     (``"B) Ampere"``, ``"(B) Ampere"``, ``"B. Ampere"``, ``"B: Ampere"``);
  3. a sentence naming the answer: ``answer is B``, ``answer would be (B)``, optionally with a
     colon (``"The correct answer is: B"``);
  4. a labelled answer: ``Answer: B``, ``Answer - (B)``, also in Markdown bold
     (``"**Answer:** B"``);
  5. the first standalone label anywhere: an uppercase label not joined to letters, digits,
     ``_`` or ``-`` on either side (``"I pick C"``; not the ``B`` of ``"B12"`` or ``"B-cell"``).

  Only pattern 1 accepts lowercase labels: elsewhere ``a``, ``b``... are ordinary words.

The article "A". In pattern 5 an uppercase ``A`` is also the English article when it opens a
sentence. A standalone ``A`` is therefore skipped when it stands at the start of the text or right
after ``.``, ``!``, ``?``, ``:`` or a line break, and is followed by a lowercase word, unless
that word is one that typically follows a label used as a noun (``is``, ``was``, ``seems``,
``appears``, ``because``, ``and``, ``or``). So ``"A reasonable choice would be C"`` gives ``"C"``
while ``"A is correct"`` and ``"I would pick A here"`` give ``"A"`` (an uppercase ``A`` inside a
sentence is the label; the article is written ``a`` there). Patterns 2-4 come first, so
``"A. Paris"`` and ``"A good answer is C"`` are settled before this rule applies.

Every reading of ``raw_choice`` is also a reading of ``rescored_choice``, with the same label.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from qframe_metrics_text.text_metrics import exact_match

DEFAULT_LABELS = "ABCD"

_WORDS_AFTER_A_LABEL = ("is", "was", "seems", "appears", "because", "and", "or")
_SENTENCE_INITIAL_ARTICLE = (
    r"(?:^|(?<=[.!?:\n]))\s*A\s+(?!(?:" + "|".join(_WORDS_AFTER_A_LABEL) + r")\b)[a-z]"
)


def raw_choice(text: str, letters: Sequence[str] = DEFAULT_LABELS) -> str | None:
    """The label that the whole output equals under ``exact_match``, else ``None``."""
    return next((label for label in letters if exact_match(text, label)), None)


def rescored_choice(text: str, letters: Sequence[str] = DEFAULT_LABELS) -> str | None:
    """The label found by the first matching pattern (see the module docstring), else ``None``."""
    patterns = _rescoring_patterns(tuple(letters))
    for pattern in patterns[:-1]:
        found = pattern.search(text)
        if found:
            return _canonical_label(found.group("label"), letters)
    for found in patterns[-1].finditer(text):
        if found.group("label"):
            return found.group("label")
    return None


def _canonical_label(matched: str, letters: Sequence[str]) -> str:
    """The label as spelled in ``letters`` (pattern 1 also matches it in lowercase)."""
    return next(label for label in letters if label.casefold() == matched.casefold())


@cache
def _rescoring_patterns(letters: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """The five rescoring patterns for these labels, in the order they are tried.

    The last one also matches a sentence-initial article ``A`` (in a group other than
    ``label``) so that scanning consumes it instead of reporting it as a label.
    """
    label = "(?P<label>" + "|".join(re.escape(letter) for letter in letters) + ")"
    standalone_end = r"(?![\w-])"
    return (
        re.compile(r"^\s*\(?" + label + r"\)?[.:]?\s*$", re.IGNORECASE),
        re.compile(r"^\s*(\()?" + label + r"(?(1)\)|[).:])(?=\s|$)"),
        re.compile(r"(?i:\banswer\s+(?:is|would\s+be))\s*:?\s*\(?" + label + standalone_end),
        re.compile(r"(?i:\banswer)[*\s]*[:-][*\s]*\(?" + label + standalone_end),
        re.compile(
            "(?P<article>" + _SENTENCE_INITIAL_ARTICLE + r")|(?<![\w-])" + label + standalone_end
        ),
    )
