"""Raw and rescored multiple-choice answer extraction, pattern by pattern."""

from __future__ import annotations

import pytest
from qframe_metrics_text.answer_extraction import raw_choice, rescored_choice


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B", "B"),
        (" b \n", "B"),
        ("B.", None),
        ("(B)", None),
        ("B) Ampere", None),
        ("The answer is B", None),
        ("E", None),
        ("", None),
    ],
)
def test_raw_choice_is_exact_match_against_a_label(text: str, expected: str | None) -> None:
    assert raw_choice(text) == expected


def test_raw_choice_uses_the_given_labels() -> None:
    assert raw_choice("E", letters="ABCDE") == "E"


# Pattern 1: the whole output is a label.
@pytest.mark.parametrize(
    ("text", "expected"),
    [("C", "C"), ("c", "C"), ("(C)", "C"), ("C.", "C"), (" d: \n", "D"), ("b)", "B")],
)
def test_whole_output_label(text: str, expected: str) -> None:
    assert rescored_choice(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "c is right",  # lowercase labels count only when they are the whole output
        "Cc",
        "E",  # not one of the labels
        "",
    ],
)
def test_whole_output_label_negatives(text: str) -> None:
    assert rescored_choice(text) is None


# Pattern 2: the output opens with a label used as a list marker.
@pytest.mark.parametrize(
    "text",
    ["B) Ampere", "(B) Ampere", "B. Ampere", "B: Ampere", "B)\nbecause current", "  B.  Ampere"],
)
def test_label_at_start(text: str) -> None:
    assert rescored_choice(text) == "B"


def test_an_answer_statement_wins_over_a_leading_list_marker() -> None:
    assert rescored_choice("B) Ampere. The answer is C") == "C"


def test_a_negated_leading_marker_is_not_the_answer() -> None:
    assert rescored_choice("(A) is wrong and (B) is right") == "B"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B.C. was long ago, so the answer is D", "D"),  # "B." not followed by whitespace
        ("B12 deficiency; the answer is C", "C"),
        ("(B the first", "B"),  # no closing parenthesis: only the fallback finds B
        ("b) Ampere", None),  # lowercase list markers are not labels
    ],
)
def test_label_at_start_negatives(text: str, expected: str | None) -> None:
    assert rescored_choice(text) == expected


# Pattern 3: a sentence naming the answer.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is B", "B"),
        ("I think the correct answer is (C) because of friction.", "C"),
        ("The best answer is: D", "D"),
        ("My answer would be A.", "A"),
        ("ANSWER IS C", "C"),
        ("Option A looks tempting, but the answer is C.", "C"),
        ("A good answer is C", "C"),
    ],
)
def test_answer_is_sentence(text: str, expected: str) -> None:
    assert rescored_choice(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is Boron, listed as D", "D"),
        ("The answer is b", None),
        ("The answer is B-complex vitamins", None),
    ],
)
def test_answer_is_sentence_negatives(text: str, expected: str | None) -> None:
    assert rescored_choice(text) == expected


# Pattern 4: a labelled answer.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Answer: B", "B"),
        ("Final answer: (C)", "C"),
        ("**Answer:** D", "D"),
        ("**Answer**: D", "D"),
        ("Answer - A", "A"),
        ("answer:C", "C"),
        ("Option B is wrong.\nAnswer: C", "C"),
    ],
)
def test_labelled_answer(text: str, expected: str) -> None:
    assert rescored_choice(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Answer: Because of inertia, D", "D"),
        ("Answer: B-cell lymphoma, so D", "D"),
        ("Answer: c", None),
    ],
)
def test_labelled_answer_negatives(text: str, expected: str | None) -> None:
    assert rescored_choice(text) == expected


# Pattern 5: the first standalone label.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I would pick C here", "C"),
        ("Probably **B**", "B"),
        ("Between C, D", "C"),
    ],
)
def test_first_standalone_label(text: str, expected: str) -> None:
    assert rescored_choice(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "DNA and RNA differ",
        "B12 and B-cells",
        "vitamin c",
        "I think E",
        "CAD software",
    ],
)
def test_first_standalone_label_negatives(text: str) -> None:
    assert rescored_choice(text) is None


# The article "A".
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A reasonable choice would be C.", "C"),
        ("Hmm. A strong case can be made for D", "D"),
        ("Tricky!\nA careful reading points to B", "B"),
        ("A is correct.", "A"),
        ("A because it is the largest", "A"),
        ("I would pick A here", "A"),
        ("Choose A then", "A"),
        ("A cat sat on the mat", None),
    ],
)
def test_sentence_initial_article_a_is_not_a_label(text: str, expected: str | None) -> None:
    assert rescored_choice(text) == expected


def test_rescored_choice_uses_the_given_labels() -> None:
    assert rescored_choice("The answer is E", letters="ABCDE") == "E"
    assert rescored_choice("The answer is E") is None


@pytest.mark.parametrize("text", ["B", " b \n", "d", "A", "a", "C\n"])
def test_every_raw_reading_is_a_rescored_reading(text: str) -> None:
    assert raw_choice(text) is not None
    assert rescored_choice(text) == raw_choice(text)


# Issue 10, defect 5: each case below was misread before the extraction was reworked.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A) Paris / B) London / Answer: B", "B"),
        ("A) Paris\nB) London\nC) Rome\nD) Berlin\nAnswer: B", "B"),
        ("A) Paris\nB) London\nC) Rome\nD) Berlin\nThe correct answer is B.", "B"),
        ("A. Paris\nB. London\nC. Rome\nD. Berlin\n\nThe correct answer is B.", "B"),
        ("A) Paris B) London C) Rome D) Berlin. I am sure it is B", "B"),
        ("A) Paris\nB) London\nC) Rome\nD) Berlin\nB) London", "B"),
    ],
)
def test_echoed_option_lists_are_skipped(text: str, expected: str) -> None:
    assert rescored_choice(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Answer with one letter (A, B, C or D). The answer is C", "C"),
        ("Answer (A, B, C or D): C", "C"),
        ("Choose A/B/C/D. I choose D", "D"),
        ("(A, B, C or D)", None),
        ("Reply with A, B, C, or D.", None),
    ],
)
def test_parroted_instructions_are_skipped(text: str, expected: str | None) -> None:
    assert rescored_choice(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not A, it is B", "B"),
        ("It is not A. B is right.", "B"),
        ("It isn't A; I pick C", "C"),
        ("A is wrong, so D", "D"),
        ("Not option A but option C", "C"),
        ("not A", None),
        ("It is definitely not C.", None),
    ],
)
def test_negated_labels_are_not_the_answer(text: str, expected: str | None) -> None:
    assert rescored_choice(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "A or B",
        "I think it is either C or D.",
        "The answer is A or B",
        "Answer: B/C",
        "Options B and D both work",
        "A and C are both true, A more so",
    ],
)
def test_hedges_are_unparsed(text: str) -> None:
    assert rescored_choice(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is A. Wait, no: the answer is C.", "C"),  # the last statement counts
        ("B and not A", "B"),  # "and not" is no hedge
        ("Answer: B) London", "B"),  # one option, no list
    ],
)
def test_committed_answers_next_to_other_labels(text: str, expected: str) -> None:
    assert rescored_choice(text) == expected
