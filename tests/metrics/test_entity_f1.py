"""Entity span F1: parsing, per-sentence matching and corpus aggregation on crafted cases."""

from __future__ import annotations

import json

import pytest
from qframe_metrics_extraction.entity_f1 import (
    Entity,
    SentenceScore,
    parse_entities,
    score_sentence,
    summarize,
)

PARIS = {"entity": "Paris", "type": "LOC"}
JOHN = {"entity": "John Smith", "type": "PER"}
ACME = {"entity": "Acme Corp", "type": "ORG"}


def as_output(*entities: dict[str, str]) -> str:
    return json.dumps(list(entities))


@pytest.mark.parametrize(
    "output",
    [
        '[{"entity": "Paris", "type": "LOC"}]',
        '```json\n[{"entity": "Paris", "type": "LOC"}]\n```',
        'Here you go:\n```\n[{"entity": "Paris", "type": "LOC"}]\n```\nHope this helps.',
        'The entities are [{"entity": "Paris", "type": "LOC"}] as requested.',
        '[{"entity": "Paris", "type": "LOC", "confidence": 0.9}]',
    ],
)
def test_parse_accepts_an_entity_array_in_fences_or_prose(output: str) -> None:
    assert parse_entities(output) == [Entity("Paris", "LOC")]


def test_parse_reads_only_the_first_fenced_block() -> None:
    output = '```json\n[]\n```\nor maybe\n```json\n[{"entity": "Paris", "type": "LOC"}]\n```'
    assert parse_entities(output) == []


@pytest.mark.parametrize(
    "output",
    [
        '[{"entity": "Paris", "type": "LOC"}',  # truncated
        "[{'entity': 'Paris', 'type': 'LOC'}]",  # Python literal, not JSON
        "No entities found.",
        '{"entity": "Paris", "type": "LOC"}',  # an object, not an array
        '[{"name": "Paris", "type": "LOC"}]',
        '[{"entity": "Paris", "type": null}]',
        '["Paris"]',
        "[Note] " + '[{"entity": "Paris", "type": "LOC"}]',  # the first "[" does not open JSON
        "",
    ],
)
def test_parse_failures(output: str) -> None:
    assert parse_entities(output) is None


def test_empty_array_parses_to_no_entities() -> None:
    assert parse_entities("[]") == []


def test_matching_normalises_text_and_type_and_requires_type_agreement() -> None:
    output = as_output(
        {"entity": " paris ", "type": "loc"},
        {"entity": "John Smith", "type": "ORG"},
        {"entity": "Berlin", "type": "LOC"},
    )
    score = score_sentence(output, [PARIS, JOHN])
    assert score == SentenceScore(tp=1, fp=2, fn=1, parsed=True)
    assert score.f1 == pytest.approx(2 * 1 / (2 * 1 + 2 + 1))


def test_duplicates_are_matched_as_a_multiset() -> None:
    assert score_sentence(as_output(PARIS), [PARIS, PARIS]) == SentenceScore(1, 0, 1, True)
    assert score_sentence(as_output(PARIS, PARIS, PARIS), [PARIS]) == SentenceScore(1, 2, 0, True)
    assert score_sentence(as_output(PARIS, PARIS), [PARIS, PARIS]) == SentenceScore(2, 0, 0, True)


def test_empty_prediction_of_empty_gold_is_perfect() -> None:
    score = score_sentence("[]", [])
    assert score == SentenceScore(0, 0, 0, True)
    assert score.gold_is_empty
    assert score.f1 == 1.0


def test_parse_failure_misses_all_gold_and_scores_zero() -> None:
    assert score_sentence("Paris (LOC)", [PARIS, JOHN]) == SentenceScore(0, 0, 2, False)
    failed_on_empty_gold = score_sentence("none", [])
    assert failed_on_empty_gold == SentenceScore(0, 0, 0, False)
    assert failed_on_empty_gold.f1 == 0.0


def test_summary_of_a_crafted_corpus() -> None:
    scores = [
        score_sentence(as_output(PARIS, JOHN), [PARIS, JOHN]),  # tp 2          f1 1
        score_sentence(as_output(ACME, PARIS), [ACME]),  # tp 1, fp 1          f1 2/3
        score_sentence("```json\n[]\n```", []),  # entity-free, right          f1 1
        score_sentence(as_output(JOHN), []),  # entity-free, fp 1              f1 0
        score_sentence('[{"entity": "Paris"', [PARIS]),  # malformed, fn 1     f1 0
    ]
    summary = summarize(scores)
    # Pooled: tp 3, fp 2, fn 1.
    assert summary.n_sentences == 5
    assert summary.micro_precision == pytest.approx(3 / 5)
    assert summary.micro_recall == pytest.approx(3 / 4)
    assert summary.micro_f1 == pytest.approx(2 * 3 / (2 * 3 + 2 + 1))
    assert summary.macro_f1 == pytest.approx((1 + 2 / 3 + 1 + 0 + 0) / 5)
    assert summary.parse_rate == pytest.approx(4 / 5)
    assert summary.n_entity_free == 2
    assert summary.entity_free_accuracy == pytest.approx(1 / 2)


def test_unparsed_output_on_an_entity_free_sentence_is_not_correct() -> None:
    summary = summarize([score_sentence("I see no entities.", [])])
    assert summary.entity_free_accuracy == 0.0
    assert summary.parse_rate == 0.0
    assert summary.macro_f1 == 0.0


def test_entity_free_accuracy_is_undefined_without_entity_free_sentences() -> None:
    summary = summarize([score_sentence(as_output(PARIS), [PARIS])])
    assert summary.n_entity_free == 0
    assert summary.entity_free_accuracy is None


def test_corpus_without_gold_or_predictions_is_perfect() -> None:
    summary = summarize([score_sentence("[]", []), score_sentence("[]", [])])
    assert (summary.micro_precision, summary.micro_recall, summary.micro_f1) == (1.0, 1.0, 1.0)
    assert summary.macro_f1 == 1.0


def test_no_predictions_against_gold_scores_zero_precision() -> None:
    summary = summarize([score_sentence("[]", [PARIS])])
    assert (summary.micro_precision, summary.micro_recall, summary.micro_f1) == (0.0, 0.0, 0.0)


def test_predictions_without_gold_score_zero_recall() -> None:
    summary = summarize([score_sentence(as_output(PARIS), [])])
    assert (summary.micro_precision, summary.micro_recall, summary.micro_f1) == (0.0, 0.0, 0.0)


def test_summary_needs_at_least_one_sentence() -> None:
    with pytest.raises(ValueError, match="zero sentences"):
        summarize([])
