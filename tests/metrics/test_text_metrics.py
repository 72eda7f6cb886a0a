"""Text metrics against hand-computed values and against the libraries that define them."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
from qframe_metrics_text.text_metrics import (
    bleu,
    exact_match,
    key_metric_average,
    length_ratio,
    output_length,
    repetition,
    rouge_l,
)

TEXT_PAIRS = [
    ("the cat sat on the mat", "the cat sat on a mat"),
    ("The quick brown fox jumps over the lazy dog.", "A quick brown dog jumps over a lazy fox."),
    ("def add(a, b):\n    return a + b", "def add(x, y):\n    return x + y"),
    ("Paris is the capital of France.", "The capital of France is Paris."),
    ("completely unrelated words here", "nothing in common at all"),
]


def test_rouge_l_is_lcs_f1_by_hand() -> None:
    # LCS of the two six-word texts is "the cat on the mat": P = R = F = 5/6.
    assert rouge_l("the cat sat on the mat", "the cat lay on the mat") == pytest.approx(5 / 6)


def test_rouge_l_stems_and_ignores_case_and_punctuation() -> None:
    assert rouge_l("The Cats were running!", "the cat was run") == pytest.approx(3 / 4)
    assert rouge_l("Cats running.", "cat run") == pytest.approx(1.0)


@pytest.mark.parametrize(("candidate", "reference"), TEXT_PAIRS)
def test_rouge_l_matches_rouge_score(candidate: str, reference: str) -> None:
    from rouge_score.rouge_scorer import RougeScorer

    expected = RougeScorer(["rougeL"], use_stemmer=True).score(reference, candidate)["rougeL"]
    assert rouge_l(candidate, reference) == pytest.approx(expected.fmeasure)


def test_bleu_by_hand() -> None:
    # Clipped n-gram precisions 5/6, 3/5, 2/4, 1/3; equal lengths, so no brevity penalty.
    assert bleu("the cat sat on the mat", "the cat sat on a mat") == pytest.approx(
        (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    )


def test_bleu_is_on_the_unit_scale() -> None:
    assert bleu("the cat sat on the mat", "the cat sat on the mat") == pytest.approx(1.0)
    assert bleu("completely unrelated words here", "nothing in common at all") == 0.0


@pytest.mark.parametrize(("candidate", "reference"), TEXT_PAIRS)
def test_bleu_matches_sacrebleu_sentence_bleu(candidate: str, reference: str) -> None:
    import sacrebleu

    expected = sacrebleu.sentence_bleu(candidate, [reference]).score / 100
    assert bleu(candidate, reference) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("candidate", "reference", "expected"),
    [
        ("  Paris \n", "paris", 1.0),
        ("POSITIVE", "positive", 1.0),
        ("STRASSE", "straße", 1.0),
        ("Paris.", "Paris", 0.0),
        ("B) Ampere", "B", 0.0),
        ("new  york", "new york", 0.0),
        ("", "", 1.0),
    ],
)
def test_exact_match_strips_and_casefolds_only(
    candidate: str, reference: str, expected: float
) -> None:
    assert exact_match(candidate, reference) == expected


@pytest.mark.parametrize(
    ("candidate", "reference", "expected"),
    [
        ("one two three", "one two three four five six", 0.5),
        ("one two three four five six", "one two three", 2.0),
        ("one  two\nthree", "a b c", 1.0),
        ("", "", 1.0),
        ("", "a b", 0.0),
        ("a b", "", math.inf),
    ],
)
def test_length_ratio(candidate: str, reference: str, expected: float) -> None:
    assert length_ratio(candidate, reference) == expected


@pytest.mark.parametrize(
    ("candidate", "reference", "expected"),
    [
        ("one two three", "one two three four five six", 0.5),
        ("one two three four five six", "one two three", 0.5),
        ("a b c", "x y z", 1.0),
        ("", "", 1.0),
        ("", "a b", 0.0),
        ("a b", "", 0.0),
    ],
)
def test_output_length_penalises_both_directions(
    candidate: str, reference: str, expected: float
) -> None:
    assert output_length(candidate, reference) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a b c d e f", 1.0),
        # 4-grams: abcd bcda cdab dabc abcd -> 4 distinct of 5.
        ("a b c d a b c d", 4 / 5),
        ("x x x x x x", 1 / 3),
        ("A b c d a b c d", 1.0),
        ("one two three", 1.0),
        ("", 1.0),
    ],
)
def test_repetition(text: str, expected: float) -> None:
    assert repetition(text) == pytest.approx(expected)


def test_key_metric_average_is_the_unweighted_mean() -> None:
    assert key_metric_average(bertscore=0.9, coherence=0.6, rouge_l=0.3) == pytest.approx(0.6)


def test_scoring_libraries_are_imported_on_first_use_only() -> None:
    probe = (
        "import sys, qframe_metrics_text.text_metrics; "
        "print(sorted({'rouge_score', 'sacrebleu'} & sys.modules.keys()))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=os.environ
    )
    assert shown.stdout.strip() == "[]"
