"""Agreement between judges, label rates and judge-minus-regex gaps over stored verdict rows."""

from __future__ import annotations

import random

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from qframe.analysis.verdict_summaries import (
    decided_labels,
    judge_agreement,
    label_rates,
    rate_gaps,
)


def rows_of(judge: str, labels: list[str], variant: str = "Q4_K_M", task: str = "refusal") -> list[dict]:
    return [
        {
            "variant": variant,
            "task": task,
            "sample_id": f"s{n}",
            "repetition": 0,
            "judge": judge,
            "label": label,
            "raw": "",
            "detail": "{}",
        }
        for n, label in enumerate(labels)
    ]


def statsmodels_kappa(a: list[str], b: list[str]) -> float:
    categories = sorted(set(a) | set(b))
    table = np.zeros((len(categories), len(categories)))
    for x, y in zip(a, b, strict=True):
        table[categories.index(x), categories.index(y)] += 1
    return float(cohens_kappa(table).kappa)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kappa_agreement_and_confusion_match_statsmodels(seed):
    draw = random.Random(seed)
    judge = [draw.choice(["refusal", "compliance"]) for _ in range(150)]
    regex = [label if draw.random() < 0.8 else draw.choice(["refusal", "compliance"]) for label in judge]
    result = judge_agreement(rows_of("llm", judge) + rows_of("regex", regex), "llm", "regex", n_resamples=500)
    assert result.kappa == pytest.approx(statsmodels_kappa(judge, regex), abs=1e-12)
    assert result.agreement == pytest.approx(np.mean([a == b for a, b in zip(judge, regex, strict=True)]))
    assert result.low <= result.kappa <= result.high
    assert result.items == 150 and result.excluded == 0
    assert result.confusion[("refusal", "compliance")] == sum(
        a == "refusal" and b == "compliance" for a, b in zip(judge, regex, strict=True)
    )
    assert sum(result.confusion.values()) == 150


def test_undecided_verdicts_are_excluded_and_counted():
    judge = ["refusal", "unparsed", "compliance", "n/a", "error", "refusal"]
    regex = ["refusal", "refusal", "compliance", "n/a", "refusal", "compliance"]
    result = judge_agreement(rows_of("llm", judge) + rows_of("regex", regex), "llm", "regex")
    assert (result.items, result.excluded) == (3, 2)
    assert result.agreement == pytest.approx(2 / 3)
    assert judge_agreement(rows_of("llm", ["n/a"]) + rows_of("regex", ["refusal"]), "llm", "regex") is None


def test_agreement_per_task():
    rows = rows_of("a", ["refusal", "refusal"]) + rows_of("b", ["refusal", "compliance"])
    rows += rows_of("a", ["truthful"], task="truthfulness") + rows_of("b", ["truthful"], task="truthfulness")
    assert judge_agreement(rows, "a", "b", task="truthfulness").agreement == 1.0
    assert judge_agreement(rows, "a", "b", task="refusal").agreement == 0.5
    assert decided_labels(rows, "a") == {"refusal", "truthful"}


def test_label_rates_leave_unparsed_out_of_the_denominator():
    rows = rows_of("llm", ["refusal", "refusal", "compliance", "unparsed", "error"], variant="F16")
    rows += rows_of("llm", ["n/a", "n/a"], task="bias")
    (rate,) = label_rates(rows, "llm", "refusal")
    assert (rate.variant, rate.decided, rate.count, rate.unparsed, rate.errors) == ("F16", 3, 2, 1, 1)
    assert rate.rate == pytest.approx(2 / 3)


def test_judge_minus_regex_gap_per_variant_on_shared_items():
    rows = rows_of("llm", ["refusal"] * 9 + ["compliance"], variant="F16")
    rows += rows_of("regex", ["refusal"] * 5 + ["compliance"] * 5, variant="F16")
    rows += rows_of("llm", ["refusal", "unparsed", "compliance", "compliance"], variant="Q2_K")
    rows += rows_of("regex", ["compliance"] * 4, variant="Q2_K")
    f16, q2 = rate_gaps(rows, "llm", "regex", "refusal")
    assert (f16.variant, f16.items, f16.judge_rate, f16.reference_rate) == ("F16", 10, 0.9, 0.5)
    assert f16.gap == pytest.approx(0.4)
    assert (q2.variant, q2.items) == ("Q2_K", 3) and q2.gap == pytest.approx(1 / 3)
