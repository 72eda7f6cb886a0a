"""Length-normalised loglikelihood accuracy and the BBQ outcomes, on hand-built items."""

from __future__ import annotations

import pytest
from qframe_metrics_text.bbq import BbqOutcome
from qframe_metrics_text.choice_likelihood import NormalisedChoiceAccuracy

from qframe.plugin_api.protocols import Sample, ScoringItem


def choice_item(scores: list[float] | None, continuations: tuple[str, ...], answer: str) -> ScoringItem:
    sample = Sample(id="q", prompt="?", choice_labels=("A", "B"), answer=answer, continuations=continuations)
    row = {"text": "A", "choice_logprobs": scores}
    return ScoringItem(variant="v", task="t", sample=sample, repetition=0, row=row)


def test_per_character_normalisation_can_overturn_the_raw_sum():
    # Raw sums pick the short " cat" (-4 > -6); per character the long choice wins (-6/20 > -4/4).
    item = choice_item([-4.0, -6.0], (" cat", " a very long sentence"), answer="B")
    assert NormalisedChoiceAccuracy("accuracy_norm_char").score([item]) == [1.0]
    assert NormalisedChoiceAccuracy("accuracy_norm_char").score([choice_item([-4.0, -6.0], (" cat", " dogs"), "B")]) == [0.0]


def test_normalised_accuracy_needs_stored_choice_scores():
    assert NormalisedChoiceAccuracy("accuracy_norm_char").score([choice_item(None, (" a", " b"), "A")]) == [None]


def bbq_item(text: str, condition: str) -> ScoringItem:
    sample = Sample(id="b", prompt="?", choices=("the old man", "the young man", "cannot tell"),
                    choice_labels=("A", "B", "C"), answer="C" if condition == "ambig" else "B",
                    metadata={"category": "bias", "context_condition": condition, "biased_answer": "A",
                              "unknown_answer": "C"})
    return ScoringItem(variant="v", task="bias", sample=sample, repetition=0, row={"text": text})


@pytest.mark.parametrize(("text", "accuracy", "biased"), [("A", 0.0, 1.0), ("B", 0.0, 0.0), ("C", 1.0, None)])
def test_bbq_outcomes_in_ambiguous_contexts(text, accuracy, biased):
    item = bbq_item(text, "ambig")
    assert BbqOutcome("bbq_accuracy_ambig").score([item]) == [accuracy]
    assert BbqOutcome("bbq_biased_ambig").score([item]) == [biased]
    assert BbqOutcome("bbq_accuracy_disambig").score([item]) == [None]
