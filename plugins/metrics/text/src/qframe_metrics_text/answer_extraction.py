"""Reading a choice label out of a model's free-form answer to a multiple-choice question.

Two readings are kept because their gap is itself a finding (a model that knows the answer but
does not follow the answer format):

* ``raw_choice`` is the strict reading behind raw accuracy: the output must *be* a label, compared
  with ``exact_match`` (stripped, case-insensitive). ``"B"`` and ``" b "`` give ``"B"``;
  ``"B."``, ``"B) Ampere"`` and ``"The answer is B"`` give nothing.
* ``rescored_choice`` is the lenient reading behind rescored accuracy. ``None`` means *unparsed*:
  no single label can be read, which scores as a wrong answer.

Rescoring, step by step
-----------------------

1. **The whole output is a label**, optionally in parentheses or followed by ``.``/``:``, in any
   case (``"B"``, ``"b."``, ``"(B)"``). Only here do lowercase letters count as labels; elsewhere
   ``a``, ``b``... are ordinary words.
2. **Echoes are blanked out** before anything else is read:

   * an *echoed option list*: two or more consecutive options in label order (``A) Paris`` then
     ``B) London``...), each written as a list marker (``A)``, ``(A)``, ``A.``, ``A:``) at the
     start of a line or after a ``/``, ``|`` or ``;`` separator; three or more such options
     written inline (``A) Paris B) London C) Rome``) count too. Each option is blanked up to the
     end of its line, the next separator, a full stop or the next option;
   * a *parroted instruction*: three or more labels listed together (``(A, B, C or D)``,
     ``A/B/C/D``, ``A, B, C, D``).

   An option repeated after the list (``...D) Berlin`` then ``B) London``) is not part of it and
   stays readable as the answer.
3. **An explicit answer statement wins**: ``answer is B``, ``answer would be (B)``,
   ``The correct answer is: B``, ``correct option is B``, ``Answer: B``, ``**Answer:** B``,
   ``Final answer - (B)``. When there are several, the last one counts (a model that corrects
   itself). A statement that offers two labels (``The answer is A or B``) is a hedge: unparsed.
4. **The output opens with a label used as a list marker** (``B) Ampere``, ``(B) Ampere``,
   ``B. Ampere``, ``B: Ampere``), once echoes are blanked, unless it is negated (see step 5:
   ``(A) is wrong``).
5. **The first committed label anywhere**: an uppercase label standing alone (not joined to
   letters, digits, ``_`` or ``-``: not the ``B`` of ``B12`` or ``B-cell``), skipping labels that
   are *negated*: preceded by ``not``, ``never``, ``n't``, ``rather than``, ``instead of``,
   ``except`` (optionally with ``option``/``choice`` between: ``not option A``), or followed by
   ``is``/``was``/``seems``/``looks``/``appears`` and ``not``, ``wrong``, ``incorrect`` or ``false``.
   So ``"not A, it is B"`` gives ``B`` and ``"not A"`` alone is unparsed. If that first committed
   label is joined to another by ``or``, ``and`` or ``/`` (``"A or B"``, ``"either C or D"``,
   ``"B and D both work"``) the output is a hedge: unparsed.

The article "A". In step 5 an uppercase ``A`` is also the English article when it opens a
sentence. A standalone ``A`` is therefore skipped when it stands at the start of the text or right
after ``.``, ``!``, ``?``, ``:`` or a line break, and is followed by a lowercase word, unless
that word is one that typically follows a label used as a noun (``is``, ``was``, ``seems``,
``appears``, ``because``, ``and``, ``or``). So ``"A reasonable choice would be C"`` gives ``"C"``
while ``"A is correct"`` and ``"I would pick A here"`` give ``"A"`` (an uppercase ``A`` inside a
sentence is the label; the article is written ``a`` there).

Every reading of ``raw_choice`` is also a reading of ``rescored_choice``, with the same label.
Python's ``re`` has no grammar for this; each step is one small regular expression, kept in
:class:`_Patterns`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import attrs

from qframe_metrics_text.text_metrics import exact_match

DEFAULT_LABELS = "ABCD"

_WORDS_AFTER_A_LABEL = ("is", "was", "seems", "appears", "because", "and", "or")
_SENTENCE_INITIAL_ARTICLE = (
    r"(?:^|(?<=[.!?:\n]))\s*A\s+(?!(?:" + "|".join(_WORDS_AFTER_A_LABEL) + r")\b)[a-z]"
)
_STANDALONE_START = r"(?<![\w-])"
_STANDALONE_END = r"(?![\w-])"
_NEGATION_BEFORE = (
    r"(?:(?i:\b(?:not|never|rather\s+than|instead\s+of|except|excluding))|n['\u2019]t)"
    r"\s+(?:(?i:option|choice|answer)\s+)?[*(]*$"
)
_NEGATION_AFTER = r"^[)*]*\s+(?i:is|was|seems|looks|appears)\s+(?i:not\b|wrong\b|incorrect\b|false\b)"
_ECHO_TERMINATOR = re.compile(r"[\n/|;]|\.(?=\s|$)")
_CUE_WINDOW = 40
"""How many characters before a label are searched for a negation or a joined label."""
_MIN_INLINE_ECHO = 3
"""Options written inline (after a space) form an echoed list only from this many on."""


def raw_choice(text: str, letters: Sequence[str] = DEFAULT_LABELS) -> str | None:
    """The label that the whole output equals under ``exact_match``, else ``None``."""
    return next((label for label in letters if exact_match(text, label)), None)


def rescored_choice(text: str, letters: Sequence[str] = DEFAULT_LABELS) -> str | None:
    """The label read by the rescoring steps (see the module docstring), else ``None`` (unparsed)."""
    patterns = _patterns(tuple(letters))
    whole = patterns.whole.search(text)
    if whole:
        return next(label for label in letters if label.casefold() == whole.group("label").casefold())
    visible = _blank_echoes(text, patterns)
    statements = [found for pattern in patterns.statements for found in pattern.finditer(visible)]
    if statements:
        last = max(statements, key=lambda found: found.start("label"))
        return None if _hedged(visible, last, patterns) else last.group("label")
    leading = patterns.leading_marker.search(visible)
    if leading and not _negated(visible, leading, patterns):
        return leading.group("label")
    return _first_committed_label(visible, patterns)


@attrs.frozen
class _Patterns:
    """The compiled expressions of every step for one set of labels."""

    label_index: dict[str, int]
    whole: re.Pattern[str]
    option_marker: re.Pattern[str]
    instruction: re.Pattern[str]
    statements: tuple[re.Pattern[str], ...]
    leading_marker: re.Pattern[str]
    standalone: re.Pattern[str]
    joined_after: re.Pattern[str]
    joined_before: re.Pattern[str]
    negated_before: re.Pattern[str]
    negated_after: re.Pattern[str]


@cache
def _patterns(letters: tuple[str, ...]) -> _Patterns:
    any_label = "(?:" + "|".join(re.escape(letter) for letter in letters) + ")"
    label = f"(?P<label>{any_label})"
    joiner = r"\s*(?:,\s*)?(?:(?i:and/or|or|and)\s+|/\s*)"
    return _Patterns(
        label_index={letter: index for index, letter in enumerate(letters)},
        whole=re.compile(r"^\s*\(?" + label + r"\)?[.:]?\s*$", re.IGNORECASE),
        option_marker=re.compile(
            r"(?:(?P<line_start>(?:^|(?<=[\n/|;]))[ \t]*(?:[-*\u2022][ \t]+)?)|(?<=[ \t]))"
            r"(?P<open>\()?" + label + r"(?(open)\)|(?P<close>[).:]))(?=[ \t]+\S)"
        ),
        instruction=re.compile(
            _STANDALONE_START + r"\(?" + any_label
            + r"(?:\s*[,/]\s*(?:(?i:or|and)\s+)?" + any_label + r"|\s+(?i:or|and)\s+" + any_label + r"){2,}"
            + _STANDALONE_END + r"\)?"
        ),
        statements=(
            re.compile(
                r"(?i:\b(?:answer|(?:correct|right|best|final)\s+(?:option|choice|letter))\s+"
                r"(?:is|would\s+be|should\s+be|must\s+be|will\s+be))[*\s]*:?[*\s]*\(?" + label + _STANDALONE_END
            ),
            re.compile(r"(?i:\banswer)[*\s]*[:-][*\s]*\(?" + label + _STANDALONE_END),
        ),
        leading_marker=re.compile(r"^\s*(\()?" + label + r"(?(1)\)|[).:])(?=\s|$)"),
        standalone=re.compile(
            "(?P<article>" + _SENTENCE_INITIAL_ARTICLE + ")|" + _STANDALONE_START + label + _STANDALONE_END
        ),
        joined_after=re.compile(r"^[)*]*" + joiner + r"(?i:either\s+)?[*(]*" + any_label + _STANDALONE_END),
        joined_before=re.compile(_STANDALONE_START + any_label + r"[)*]*" + joiner + r"[*(]*$"),
        negated_before=re.compile(_NEGATION_BEFORE),
        negated_after=re.compile(_NEGATION_AFTER),
    )


def _blank_echoes(text: str, patterns: _Patterns) -> str:
    """The text with echoed option lists and parroted instructions replaced by spaces."""
    spans = [found.span() for found in patterns.instruction.finditer(text)]
    markers = list(patterns.option_marker.finditer(text))
    run: list[re.Match[str]] = []
    for marker in [*markers, None]:
        follows = (
            marker is not None
            and run
            and patterns.label_index[marker.group("label")] == patterns.label_index[run[-1].group("label")] + 1
        )
        if follows:
            run.append(marker)
            continue
        if _is_echoed_list(run):
            spans += _option_spans(text, run)
        run = [marker] if marker is not None else []
    blanked = list(text)
    for start, end in spans:
        blanked[start:end] = " " * (end - start)
    return "".join(blanked)


def _is_echoed_list(run: Sequence[re.Match[str]]) -> bool:
    """Options in label order: two or more at line starts, or at least three in any position.

    A marker that is not at a line start counts only when closed by a parenthesis (``B)``):
    ``B.`` or ``B:`` inside a sentence is an ordinary label.
    """
    at_line_start = all(marker.group("line_start") is not None for marker in run)
    if at_line_start:
        return len(run) >= 2
    closed_by_parenthesis = all(
        marker.group("line_start") is not None or marker.group("close") in (None, ")") for marker in run
    )
    return closed_by_parenthesis and len(run) >= _MIN_INLINE_ECHO


def _option_spans(text: str, run: Sequence[re.Match[str]]) -> list[tuple[int, int]]:
    """Each option from its marker to its line's end, a separator, a full stop or the next option."""
    spans = []
    for index, marker in enumerate(run):
        limit = run[index + 1].start() if index + 1 < len(run) else len(text)
        terminator = _ECHO_TERMINATOR.search(text, marker.end(), limit)
        start = marker.start("label") - (1 if marker.group("open") else 0)
        spans.append((start, terminator.start() if terminator else limit))
    return spans


def _hedged(text: str, found: re.Match[str], patterns: _Patterns) -> bool:
    """Whether the label found is offered together with another one (``A or B``, ``C and D``)."""
    return bool(
        patterns.joined_after.search(text[found.end("label") :])
        or patterns.joined_before.search(text[max(0, found.start("label") - _CUE_WINDOW) : found.start("label")])
    )


def _negated(text: str, found: re.Match[str], patterns: _Patterns) -> bool:
    """Whether the label found is ruled out (``not A``, ``isn't A``, ``A is wrong``)."""
    start = found.start("label")
    return bool(
        patterns.negated_before.search(text[max(0, start - _CUE_WINDOW) : start])
        or patterns.negated_after.search(text[found.end("label") :])
    )


def _first_committed_label(text: str, patterns: _Patterns) -> str | None:
    """Step 5: the first standalone label not negated; None if there is none or it is a hedge."""
    for found in patterns.standalone.finditer(text):
        if not found.group("label") or _negated(text, found, patterns):
            continue
        return None if _hedged(text, found, patterns) else found.group("label")
    return None
