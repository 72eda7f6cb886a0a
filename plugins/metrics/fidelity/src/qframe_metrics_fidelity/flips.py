"""Answer flips: items of one benchmark whose correctness differs between baseline and variant.

Two variants with the same accuracy can still disagree on many items; flips show that churn,
and the two flip counts are the discordant pairs a McNemar test is built on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerFlips:
    """Flip counts over the sample ids scored on both sides.

    ``net`` is gains minus losses (positive when the variant answers more items correctly);
    ``flip_rate`` is the share of paired items that flipped either way (``None`` with no pairs).
    ``n_unpaired`` counts ids present on only one side; they are left out of everything else.
    """

    correct_to_incorrect: int
    incorrect_to_correct: int
    net: int
    flip_rate: float | None
    n_paired: int
    n_unpaired: int


def answer_flips(baseline: Mapping[str, bool], variant: Mapping[str, bool]) -> AnswerFlips:
    """Compare per-sample correctness of one benchmark, keyed by sample id."""
    paired = baseline.keys() & variant.keys()
    lost = sum(baseline[sample] and not variant[sample] for sample in paired)
    gained = sum(variant[sample] and not baseline[sample] for sample in paired)
    return AnswerFlips(
        correct_to_incorrect=lost,
        incorrect_to_correct=gained,
        net=gained - lost,
        flip_rate=(lost + gained) / len(paired) if paired else None,
        n_paired=len(paired),
        n_unpaired=len(baseline.keys() ^ variant.keys()),
    )
