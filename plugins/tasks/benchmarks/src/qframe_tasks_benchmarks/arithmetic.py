"""The project's own arithmetic drill: multiple-choice items computed here, not taken from any data set.

Each item states a fact of integer arithmetic (a sum, a difference, a product, which of two
numbers is larger) with the true answer and wrong answers near it (off by one, by ten, by one
factor), so a model's pick measures its arithmetic and a quantized model's losses show as
flips. Items are a pure function of their operands, in MMLU's schema with the operation as the
subject (the cluster statistics and a sequential run's strata read it): addition, subtraction,
multiplication and comparison. It is the large built-in pool that lets a run stop when
decided without any download.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _row(subject: str, question: str, answer: int, wrong: tuple[int, ...], index: int) -> dict[str, Any]:
    choices = [str(value) for value in (answer, *wrong)]
    position = index % len(choices)  # the true answer moves through every position
    choices.insert(position, choices.pop(0))
    return {"question": question, "subject": subject, "choices": choices, "answer": position}


def arithmetic_rows() -> Iterator[dict[str, Any]]:
    """Every item: 400 sums, 400 differences, 300 products and 200 comparisons."""
    index = 0
    for a in range(11, 51):
        for b in range(3, 13):
            index += 1
            yield _row("addition", f"What is {a} + {b}?", a + b, (a + b + 1, a + b - 1, a + b + 10), index)
    for a in range(21, 61):
        for b in range(2, 12):
            index += 1
            yield _row("subtraction", f"What is {a} - {b}?", a - b, (a - b + 1, a - b - 1, a - b + 10), index)
    for a in range(2, 17):
        for b in range(2, 22):
            index += 1
            yield _row("multiplication", f"What is {a} times {b}?", a * b, (a * b + a, a * b - b, a * b + 1), index)
    for a in range(10, 30):
        for b in range(31, 81, 5):
            index += 1
            low, high = sorted((a, b))
            yield _row("comparison", f"Which number is larger, {a} or {b}?", high, (low,), index)
