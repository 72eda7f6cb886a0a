"""Length-normalised loglikelihood accuracy (``acc_norm``) from the stored per-choice sums.

Loglikelihood rows store, per choice, the summed log-probability of its continuation. A sum
favours short choices (each extra token adds a negative term), so besides the raw-sum pick
(``accuracy_raw``/``accuracy_rescored`` read the label stored as the row's text) the choice
with the best log-probability per character of its continuation is scored here: the
``acc_norm`` of other evaluation harnesses. Per-token normalisation would need each
continuation's token count, which the loglikelihood call does not return, so it is not offered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from qframe.plugin_api.protocols import ScoringItem

NORMALISATIONS: dict[str, Callable[[str], int]] = {"accuracy_norm_char": len}
"""Metric name -> the length a continuation's log-probability is divided by."""


class NormalisedChoiceAccuracy:
    """1.0 when the choice with the best length-normalised log-probability is the answer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._length = NORMALISATIONS[name]
        self.params: Mapping[str, str] = {"length": "characters of the continuation"}

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        return [self._value(item) for item in items]

    def _value(self, item: ScoringItem) -> float | None:
        sample = item.sample
        scores = item.row.get("choice_logprobs")
        if not scores or sample.answer is None or len(scores) != len(sample.continuations):
            return None
        lengths = [max(1, self._length(continuation)) for continuation in sample.continuations]
        per_unit = [score / length for score, length in zip(scores, lengths, strict=True)]
        best = max(range(len(per_unit)), key=per_unit.__getitem__)
        labels = sample.choice_labels or tuple(str(i) for i in range(len(scores)))
        return float(labels[best] == sample.answer)
