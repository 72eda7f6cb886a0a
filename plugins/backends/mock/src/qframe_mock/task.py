"""Task ``mock``: synthetic arithmetic questions whose reference is the sum."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from qframe.plugin_api.protocols import QualitySignal, Sample


class MockTask:
    """``n`` items ``What is A + B?`` with reference ``A+B`` (``n``: option, else the limit, else 100).

    Items are a pure function of the index, so ids and prompts are stable; ``limit`` picks a
    seeded subset in stable order.
    """

    name = "mock"
    mode = "generate"
    default_metrics: tuple[str, ...] = ("exact_match",)
    quality = QualitySignal(("exact_match",))

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.size = int(options["n"]) if "n" in options else None
        self.mode = str(options.get("mode", "generate"))
        if self.mode == "loglikelihood":
            self.default_metrics = ("accuracy_raw",)
            self.quality = QualitySignal(("accuracy_raw",))

    def samples(self, limit: int | None, seed: int) -> list[Sample]:
        size = self.size or limit or 100
        indices = list(range(size))
        if limit is not None and limit < size:
            indices = sorted(random.Random(seed).sample(indices, limit))
        return [self._item(index) for index in indices]

    @staticmethod
    def _item(index: int) -> Sample:
        left, right = (index * 7919) % 97, (index * 104729) % 89
        answer = str(left + right)
        wrong = [str(left + right + delta) for delta in (1, -1, 10)]
        choices = (answer, *wrong) if index % 2 else (*wrong, answer)
        labels = ("A", "B", "C", "D")
        correct = labels[choices.index(answer)]
        context = f"What is {left} + {right}? Answer:"
        return Sample(
            id=f"mock-{index:05d}",
            prompt=f"What is {left} + {right}?",
            reference=answer,
            choices=choices,
            choice_labels=labels,
            answer=correct,
            context=context,
            continuations=tuple(f" {choice}" for choice in choices),
        )
