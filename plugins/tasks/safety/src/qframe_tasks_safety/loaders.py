"""Loaders for the public safety data sets, each in its published schema.

* Harmful requests: a CSV with a ``goal`` column (the request), as in AdvBench (``goal,target``)
  and the JailbreakBench behaviours (``Index,Goal,Target,Behavior,Category,Source``, any case).
  ``target`` and ``category`` are kept when present. A file whose ``goal`` column holds the
  affirmative replies (``Sure, here is ...``) has a swapped header and is rejected.
* Benign prompts: a CSV or JSON Lines file with a ``prompt`` column (``category`` optional).
* Truthfulness: the TruthfulQA CSV (``Type,Category,Question,Best Answer,Correct Answers,
  Incorrect Answers,Source``; answers separated by ``;``) or its Parquet form (snake_case
  columns, answers as lists).
* Bias: BBQ JSON Lines (one file per category; ``context_condition`` ``ambig``/``disambig``).

Repeated requests, prompts and questions are read once (the first occurrence is kept), because
sample ids are derived from their text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from qframe.plugin_api.errors import BadInputError
from qframe_tasks_safety.items import BenignPrompt, BiasQuestion, HarmfulRequest, TruthfulQuestion
from qframe.data.datafiles import SourceRow, column_key, read_rows, require_columns

T = TypeVar("T")

_AFFIRMATIVE_REPLY = re.compile(r"^\s*sure\b[,!.]?\s+here\b", re.IGNORECASE)
BBQ_CONDITIONS = ("ambig", "disambig")
BBQ_POLARITIES = ("neg", "nonneg")
BBQ_COLUMNS = (
    "example_id",
    "question_polarity",
    "context_condition",
    "category",
    "context",
    "question",
    "ans0",
    "ans1",
    "ans2",
    "label",
)


def load_harmful_requests(path: str | Path) -> list[HarmfulRequest]:
    rows = read_rows(path, ("csv",))
    require_columns(rows, ("goal",))
    _reject_swapped_header(rows)
    requests = [
        HarmfulRequest(
            row.text("goal"),
            topic=row.optional_text("category"),
            target=row.optional_text("target"),
            source=row.path.name,
        )
        for row in rows
    ]
    return _first_of_each(requests, lambda request: request.text)


def load_benign_prompts(path: str | Path) -> list[BenignPrompt]:
    rows = read_rows(path, ("csv", "jsonl"))
    require_columns(rows, ("prompt",))
    prompts = [BenignPrompt(row.text("prompt"), row.optional_text("category"), row.path.name) for row in rows]
    return _first_of_each(prompts, lambda prompt: prompt.text)


def load_truthful_questions(path: str | Path) -> list[TruthfulQuestion]:
    rows = read_rows(path, ("csv", "parquet"))
    require_columns(rows, ("question", "best_answer", "correct_answers", "incorrect_answers"))
    questions = [
        TruthfulQuestion(
            question=row.text("question"),
            best_answer=row.text("best_answer"),
            correct_answers=_answers(row, "correct_answers"),
            incorrect_answers=_answers(row, "incorrect_answers"),
            topic=row.optional_text("category"),
            source=row.path.name,
        )
        for row in rows
    ]
    return _first_of_each(questions, lambda question: question.question)


def load_bias_questions(path: str | Path) -> list[BiasQuestion]:
    rows = read_rows(path, ("jsonl",))
    require_columns(rows, BBQ_COLUMNS)
    questions = [_bias_question(row) for row in rows]
    seen: set[str] = set()
    for question, row in zip(questions, rows, strict=True):
        if question.key in seen:
            raise BadInputError(f"{row.path}: {row.location}: repeated example_id in {question.key!r}")
        seen.add(question.key)
    return questions


def load_all(paths: Iterable[str | Path], loader: Callable[[str | Path], list[T]]) -> list[T]:
    """The records of every file, in the order given."""
    return [record for path in paths for record in loader(path)]


# --------------------------------------------------------------------------------------------


def _reject_swapped_header(rows: Sequence[SourceRow]) -> None:
    affirmative = sum(1 for row in rows if _AFFIRMATIVE_REPLY.match(row.optional_text("goal")))
    if affirmative * 2 > len(rows):
        raise BadInputError(
            f"{rows[0].path}: the 'goal' column holds affirmative replies ('Sure, here is ...') in "
            f"{affirmative} of {len(rows)} rows, so the header looks swapped; the requests must be "
            "in the column named 'goal' (and the replies in 'target')"
        )


def _answers(row: SourceRow, column: str) -> tuple[str, ...]:
    value = row.values.get(column)
    if isinstance(value, str):
        answers = value.split(";")
    elif isinstance(value, Sequence) and all(isinstance(answer, str) for answer in value):
        answers = list(value)
    else:
        raise BadInputError(f"{row.path}: {row.location}: '{column}' must be text or a list of texts")
    cleaned = tuple(answer.strip() for answer in answers if answer.strip())
    if not cleaned:
        raise BadInputError(f"{row.path}: {row.location}: no answers in '{column}'")
    return cleaned


def _bias_question(row: SourceRow) -> BiasQuestion:
    condition = _one_of(row, "context_condition", BBQ_CONDITIONS)
    polarity = _one_of(row, "question_polarity", BBQ_POLARITIES)
    label = row.values["label"]
    if isinstance(label, bool) or label not in (0, 1, 2):
        raise BadInputError(f"{row.path}: {row.location}: 'label' must be 0, 1 or 2, got {label!r}")
    answers = (row.text("ans0"), row.text("ans1"), row.text("ans2"))
    groups = _answer_groups(row)
    unknown = _index_of_group(groups, {"unknown"})
    return BiasQuestion(
        key=f"{column_key(row.text('category'))}-{row.values['example_id']}",
        context=row.text("context"),
        question=row.text("question"),
        answers=answers,
        label=label,
        context_condition=condition,
        polarity=polarity,
        topic=row.text("category"),
        unknown=unknown,
        biased=_biased_answer(row, groups, unknown, polarity),
        source=row.path.name,
    )


def _one_of(row: SourceRow, column: str, allowed: Sequence[str]) -> str:
    value = row.text(column)
    if value not in allowed:
        raise BadInputError(
            f"{row.path}: {row.location}: '{column}' must be one of {', '.join(allowed)}, got {value!r}"
        )
    return value


def _answer_groups(row: SourceRow) -> list[str | None]:
    """The social group each answer names (BBQ ``answer_info``: ``ansN -> [text, group]``)."""
    info = row.values.get("answer_info")
    if not isinstance(info, Mapping):
        return [None, None, None]
    groups: list[str | None] = []
    for index in range(3):
        entry = info.get(f"ans{index}")
        groups.append(
            _group_key(entry[-1]) if isinstance(entry, list) and entry and isinstance(entry[-1], str) else None
        )
    return groups


def _group_key(group: str) -> str:
    return re.sub(r"[^a-z0-9]", "", group.lower())


def _index_of_group(groups: Sequence[str | None], wanted: set[str]) -> int | None:
    matches = [index for index, group in enumerate(groups) if group in wanted]
    return matches[0] if len(matches) == 1 else None


def _biased_answer(row: SourceRow, groups: Sequence[str | None], unknown: int | None, polarity: str) -> int | None:
    """The answer a stereotype points to: the stereotyped group for a negative question, the other
    group for a non-negative one; None when the file does not say which group is stereotyped."""
    metadata: Any = row.values.get("additional_metadata")
    stereotyped = metadata.get("stereotyped_groups") if isinstance(metadata, Mapping) else None
    if not isinstance(stereotyped, list) or unknown is None:
        return None
    target = _index_of_group(groups, {_group_key(group) for group in stereotyped if isinstance(group, str)})
    if target is None:
        return None
    if polarity == "neg":
        return target
    return next(index for index in range(3) if index not in (target, unknown))


def _first_of_each(records: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    kept: dict[Hashable, T] = {}
    for record in records:
        kept.setdefault(key(record), record)
    return list(kept.values())
