"""Metric objects over stored generations, built from the pure functions of this package."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qframe.plugin_api.protocols import ScoringItem
from qframe.data.references import CONTRAST_PARTS, contrast, references_of
from qframe_metrics_text.answer_extraction import raw_choice, rescored_choice
from qframe_metrics_text.bbq import METRIC_NAMES as BBQ_METRICS
from qframe_metrics_text.bbq import BbqOutcome
from qframe_metrics_text.choice_likelihood import NORMALISATIONS, NormalisedChoiceAccuracy
from qframe_metrics_text.text_metrics import bleu, exact_match, length_ratio, output_length, repetition, rouge_l

TEXT_AGAINST_REFERENCE: dict[str, Callable[[str, str], float]] = {
    "rouge_l": rouge_l,
    "bleu": bleu,
    "exact_match": exact_match,
    "length_ratio": length_ratio,
    "output_length": output_length,
}
CONTRASTED: dict[str, Callable[[str, str], float]] = {"bleu": bleu, "rouge_l": rouge_l}
"""Similarities scored against true and false references (see :mod:`qframe.data.references`)."""
CONTRAST_METRICS: dict[str, tuple[str, str]] = {
    f"{similarity}_{part}": (similarity, part) for similarity in CONTRASTED for part in CONTRAST_PARTS
}
CHOICE_READERS: dict[str, Callable[[str, Sequence[str]], str | None]] = {
    "accuracy_raw": raw_choice,
    "accuracy_rescored": rescored_choice,
}


class ReferenceMetric:
    """A text-vs-reference function applied to every item that has a reference."""

    params: Mapping[str, str] = {}

    def __init__(self, name: str, function: Callable[[str, str], float]) -> None:
        self.name = name
        self._function = function

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        return [
            self._function(item.text, item.sample.reference) if item.sample.reference is not None else None
            for item in items
        ]


class RepetitionMetric:
    """Unique 4-grams over all 4-grams of the output (no reference needed)."""

    name = "repetition"
    params: Mapping[str, str] = {"ngram": "4"}

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        return [repetition(item.text) for item in items]


class ReferenceContrastMetric:
    """``<similarity>_max``, ``_diff`` or ``_acc`` of the output against its true and false references.

    Items without both kinds of reference (anything but truthfulness questions) score None.
    """

    def __init__(self, similarity: str, part: str) -> None:
        self.name = f"{similarity}_{part}"
        self._similarity = CONTRASTED[similarity]
        self._part = part
        self.params: Mapping[str, str] = {"similarity": similarity, "references": "true vs false"}

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        values: list[float | None] = []
        for item in items:
            references = references_of(item.sample)
            if references is None:
                values.append(None)
                continue
            true = [self._similarity(item.text, reference) for reference in references.true]
            false = [self._similarity(item.text, reference) for reference in references.false]
            values.append(contrast(self._part, true, false))
        return values


class ChoiceAccuracy:
    """1.0 when the label read from the output is the item's answer (multiple choice only).

    Loglikelihood-mode rows store the chosen label as their text, so raw and rescored agree
    there; in generation mode they differ by how leniently the label is read.
    """

    def __init__(self, name: str, reader: Callable[[str, Sequence[str]], str | None]) -> None:
        self.name = name
        self._reader = reader
        self.params: Mapping[str, str] = {"reader": reader.__name__}

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        values: list[float | None] = []
        for item in items:
            sample = item.sample
            if sample.answer is None or not sample.choice_labels:
                values.append(None)
                continue
            values.append(float(self._reader(item.text, sample.choice_labels) == sample.answer))
        return values


def make_metric(name: str, options: Mapping[str, Any]) -> Any:
    """The metric registered under ``name`` (options are accepted and unused)."""
    if name in TEXT_AGAINST_REFERENCE:
        return ReferenceMetric(name, TEXT_AGAINST_REFERENCE[name])
    if name in CHOICE_READERS:
        return ChoiceAccuracy(name, CHOICE_READERS[name])
    if name in CONTRAST_METRICS:
        return ReferenceContrastMetric(*CONTRAST_METRICS[name])
    if name == "repetition":
        return RepetitionMetric()
    if name in BBQ_METRICS:
        return BbqOutcome(name)
    if name in NORMALISATIONS:
        return NormalisedChoiceAccuracy(name)
    raise KeyError(name)


