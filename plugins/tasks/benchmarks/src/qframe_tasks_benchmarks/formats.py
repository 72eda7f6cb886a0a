"""Turning one row of a benchmark's public export into a :class:`ChoiceItem`.

Each reader knows one schema (the columns of the Hugging Face exports) and raises
:class:`RowError` with a short reason when a row does not fit it:

* MMLU: ``question``, ``subject``, ``choices`` (list), ``answer`` (index, or a letter).
* ARC: ``id``, ``question``, ``choices`` (``{text: [...], label: [...]}``), ``answerKey`` (one of
  the labels, letters or digits).
* HellaSwag: ``ctx``, ``endings`` (list), ``label`` (index; the unlabelled test split is refused);
  ``ind`` and ``activity_label`` are kept when present.
* TruthfulQA multiple choice: ``question``, ``mc1_targets`` (``{choices: [...], labels: [...]}``
  with exactly one label 1). The export lists the right answer first, so the choices are put in
  an order shuffled by a generator seeded with the question: fixed for an item, so every run
  and every variant sees the same order, but not always "A".
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""Choice labels, in order; an item has at most this many choices."""


class RowError(ValueError):
    """A row does not fit its benchmark's schema; the message says why in a few words."""


@attrs.frozen
class ChoiceItem:
    """One multiple-choice question, independent of how it is asked.

    ``question`` is the text the generation prompt shows above the lettered choices; ``context``
    is the text that loglikelihood ranking scores each choice after. ``answer`` indexes
    ``choices``. ``subject`` groups items for stratified sampling (MMLU).
    """

    question: str
    context: str
    choices: tuple[str, ...]
    answer: int
    subject: str | None = None
    source_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if not 2 <= len(self.choices) <= len(LETTERS):
            raise RowError(f"needs 2 to {len(LETTERS)} choices, got {len(self.choices)}")
        if not 0 <= self.answer < len(self.choices):
            raise RowError(f"answer index {self.answer} is outside the {len(self.choices)} choices")


RowReader = Callable[[Mapping[str, Any]], ChoiceItem]


def read_mmlu(row: Mapping[str, Any]) -> ChoiceItem:
    question = _text(row, "question")
    choices = _texts(row, "choices")
    return ChoiceItem(
        question=question,
        context=question_context(question),
        choices=choices,
        answer=_answer_index(_field(row, "answer"), len(choices)),
        subject=_text(row, "subject"),
    )


def read_arc(row: Mapping[str, Any]) -> ChoiceItem:
    question = _text(row, "question")
    options = _mapping(row, "choices")
    texts = _texts(options, "text")
    labels = [str(label) for label in _list(options, "label")]
    if len(labels) != len(texts):
        raise RowError(f"choices has {len(texts)} texts but {len(labels)} labels")
    key = str(_field(row, "answerKey"))
    if key not in labels:
        raise RowError(f"answerKey {key!r} is not one of the labels {labels}")
    return ChoiceItem(
        question=question,
        context=question_context(question),
        choices=texts,
        answer=labels.index(key),
        source_id=str(_field(row, "id")),
    )


def read_hellaswag(row: Mapping[str, Any]) -> ChoiceItem:
    context = clean_hellaswag(_text(row, "ctx"))
    endings = tuple(clean_hellaswag(ending) for ending in _texts(row, "endings"))
    label = _field(row, "label")
    if label in ("", None):
        raise RowError("label is empty (the HellaSwag test split is unlabelled: use split 'validation')")
    return ChoiceItem(
        question=f"Which ending continues this text best?\n\n{context} ...",
        context=context,
        choices=endings,
        answer=_answer_index(label, len(endings)),
        source_id=str(row["ind"]) if row.get("ind") is not None else None,
    )


def read_truthfulqa_mc(row: Mapping[str, Any]) -> ChoiceItem:
    question = _text(row, "question")
    targets = _mapping(row, "mc1_targets")
    choices = _texts(targets, "choices")
    labels = [int(label) for label in _list(targets, "labels")]
    if len(labels) != len(choices) or sorted(labels) != [0] * (len(labels) - 1) + [1]:
        raise RowError("mc1_targets.labels must mark exactly one of its choices with 1")
    order = list(range(len(choices)))
    random.Random(question).shuffle(order)
    return ChoiceItem(
        question=question,
        context=question_context(question),
        choices=tuple(choices[index] for index in order),
        answer=order.index(labels.index(1)),
    )


def question_context(question: str) -> str:
    """The loglikelihood context of a question-style item: each choice is scored as its answer."""
    return f"Question: {question}\nAnswer:"


_HELLASWAG_MARKER = re.compile(r"\[[a-z]+\]")


def clean_hellaswag(text: str) -> str:
    """HellaSwag text without its bracketed section markers (``[header]``, ``[step]``...) and extra spaces."""
    return " ".join(_HELLASWAG_MARKER.sub(" ", text).split())


def _field(row: Mapping[str, Any], name: str) -> Any:
    if name not in row:
        raise RowError(f"missing column {name!r}")
    return row[name]


def _text(row: Mapping[str, Any], name: str) -> str:
    value = _field(row, name)
    if not isinstance(value, str) or not value.strip():
        raise RowError(f"{name!r} must be a non-empty string")
    return value.strip()


def _list(row: Mapping[str, Any], name: str) -> Sequence[Any]:
    value = _field(row, name)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise RowError(f"{name!r} must be a list")
    return value


def _texts(row: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = _list(row, name)
    if not all(isinstance(value, str) for value in values):
        raise RowError(f"{name!r} must be a list of strings")
    return tuple(value.strip() for value in values)


def _mapping(row: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = _field(row, name)
    if not isinstance(value, Mapping):
        raise RowError(f"{name!r} must be an object")
    return value


def _answer_index(value: Any, count: int) -> int:
    """An answer given as an index (int or digits) or as a letter, as an index into the choices."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, str) and value.strip() in LETTERS[:count]:
        return LETTERS.index(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise RowError(f"answer {value!r} is neither a choice index nor a letter {LETTERS[0]}-{LETTERS[count - 1]}")
