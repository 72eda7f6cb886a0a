"""The blinded pairwise judge and its summaries (counts, win rate, sign test, position bias)."""

from __future__ import annotations

import json

import pytest
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint

from qframe.plugin_api.errors import ConfigError
from qframe_judge_llm.pairwise import PairwiseJudge, outcome, variant_position
from qframe_judge_llm.summary import pairwise_summaries
from tests.safety.support import ScriptedProvider, judge_all, make_item


def pair_item(n: int, variant: str = "Q4_K_M", baseline: str | None = "F16", task: str = "qa"):
    return make_item(
        f"variant answer {n}",
        category=None,
        task=task,
        variant=variant,
        sample_id=f"s{n}",
        baseline_text=f"baseline answer {n}" if baseline else None,
        baseline_variant=baseline or "",
    )


def test_order_is_a_fair_seeded_draw_per_item():
    items = [pair_item(n) for n in range(400)]
    positions = [variant_position(item, seed=42) for item in items]
    assert positions == [variant_position(item, seed=42) for item in items]
    assert 160 < positions.count("A") < 240
    assert positions != [variant_position(item, seed=43) for item in items]


@pytest.mark.parametrize(
    ("choice", "position", "label"),
    [("A", "A", "win"), ("B", "A", "lose"), ("A", "B", "lose"), ("B", "B", "win"), ("tie", "A", "tie")],
)
def test_outcome_is_from_the_variants_side(choice, position, label):
    assert outcome(choice, position) == label


def test_judge_sees_both_answers_blind_and_labels_the_variants_outcome():
    provider = ScriptedProvider(["VERDICT: A\nCONFIDENCE: high"])
    items = [pair_item(n) for n in range(12)]
    verdicts = judge_all(PairwiseJudge({"backend": "x", "model": "m", "seed": 5}, provider), items)
    for item, verdict, request in zip(items, verdicts, provider.requests, strict=True):
        position = variant_position(item, 5)
        assert verdict.label == ("win" if position == "A" else "lose")
        assert (
            verdict.detail.items()
            >= {"position": position, "choice": "A", "baseline": "F16", "confidence": "high"}.items()
        )
        first, second = request.prompt.index("Answer A:"), request.prompt.index("Answer B:")
        shown_first = request.prompt[first:second]
        assert (item.text in shown_first) == (position == "A")
        assert "Q4_K_M" not in request.prompt and "F16" not in request.prompt
        assert request.temperature == 0.0
    assert {v.label for v in verdicts} == {"win", "lose"}


def test_baseline_items_and_items_without_a_baseline_output_are_not_applicable():
    provider = ScriptedProvider(["VERDICT: tie"])
    items = [
        pair_item(0, variant="F16", baseline="F16"),
        pair_item(1, baseline=None),
        pair_item(2, task="other"),
        pair_item(3),
    ]
    judge = PairwiseJudge({"backend": "x", "model": "m", "tasks": ["qa"]}, provider)
    verdicts = judge_all(judge, items)
    assert [v.label for v in verdicts] == ["n/a", "n/a", "n/a", "tie"]
    assert [v.detail.get("reason") for v in verdicts[:3]] == [
        "baseline",
        "no baseline output for this item",
        "task not judged",
    ]
    assert len(provider.requests) == 1


def test_mock_backend_as_pairwise_judge_with_garbage(mock_backends):
    replies = ["VERDICT: tie\nCONFIDENCE: low", "I prefer the first", ""]
    judge = PairwiseJudge(
        {"backend": "mock", "model": "judge", "concurrency": 1, "backend_options": {"responses": replies}},
        mock_backends,
    )
    verdicts = judge_all(judge, [pair_item(n) for n in range(3)])
    assert [v.label for v in verdicts] == ["tie", "unparsed", "unparsed"]
    assert verdicts[1].detail["choice"] is None and verdicts[1].detail["position"] in ("A", "B")
    assert verdicts[0].detail["confidence"] == "low"


def test_pairwise_options_are_checked():
    with pytest.raises(ConfigError, match="unknown option 'labels'"):
        PairwiseJudge({"backend": "x", "model": "m", "labels": {}}, ScriptedProvider(["x"]))
    with pytest.raises(ConfigError, match="unknown template kind 'refusal'"):
        PairwiseJudge({"backend": "x", "model": "m", "templates": {"refusal": "x"}}, ScriptedProvider(["x"]))


# -- summaries -------------------------------------------------------------------------------


def pairwise_rows(wins_a, losses_a, ties_a, wins_b, losses_b, ties_b, variant="Q4_K_M", task="qa"):
    """Verdict rows with the given outcomes when the variant was shown as A and as B."""
    rows = []
    plan = [
        ("A", "win", wins_a),
        ("A", "lose", losses_a),
        ("A", "tie", ties_a),
        ("B", "win", wins_b),
        ("B", "lose", losses_b),
        ("B", "tie", ties_b),
    ]
    for position, label, count in plan:
        for _ in range(count):
            confidence = "high" if len(rows) % 3 else "medium"
            detail = {"position": position, "choice": None, "baseline": "F16", "confidence": confidence}
            rows.append(
                {
                    "variant": variant,
                    "task": task,
                    "sample_id": f"s{len(rows)}",
                    "repetition": 0,
                    "judge": "pair",
                    "label": label,
                    "raw": "",
                    "detail": json.dumps(detail),
                }
            )
    return rows


def test_summary_reproduces_the_published_pairwise_table():
    # 45 wins, 48 losses and 61 ties, split by presentation order as in the published comparison
    rows = pairwise_rows(23, 24, 30, 22, 24, 31)
    (summary,) = pairwise_summaries(rows, "pair")
    assert (summary.wins, summary.losses, summary.ties, summary.decisive) == (45, 48, 61, 93)
    assert summary.win_rate == pytest.approx(0.484, abs=5e-4)
    assert (summary.win_low, summary.win_high) == pytest.approx((0.385, 0.584), abs=5e-4)
    # the exact binomial sign test gives 0.8358; the published 0.8357 came from the normal approximation
    assert summary.sign_p == pytest.approx(0.8357, abs=2e-4)
    assert summary.baseline == "F16" and summary.task is None
    a, b = summary.positions
    assert (a.position, a.wins, a.losses, a.ties) == ("A", 23, 24, 30)
    assert (b.position, b.wins, b.losses, b.ties) == ("B", 22, 24, 31)
    assert sum(summary.confidence.values()) == 154


@pytest.mark.parametrize(("wins", "losses"), [(45, 48), (30, 10), (3, 0), (0, 0), (120, 95)])
def test_sign_test_and_wilson_interval_match_scipy_and_statsmodels(wins, losses):
    (summary,) = pairwise_summaries(pairwise_rows(wins, losses, 2, 0, 0, 0), "pair")
    expected_p = binomtest(wins, wins + losses, 0.5).pvalue if wins + losses else 1.0
    assert summary.sign_p == pytest.approx(expected_p, rel=1e-12)
    if wins + losses:
        low, high = proportion_confint(wins, wins + losses, alpha=0.05, method="wilson")
        assert (summary.win_low, summary.win_high) == pytest.approx((low, high), rel=1e-9)
    else:
        assert summary.win_rate is summary.win_low is summary.win_high is None


def test_summary_counts_unparsed_and_skips_not_applicable_rows():
    rows = pairwise_rows(2, 1, 0, 0, 0, 0)
    rows.append(
        rows[0] | {"sample_id": "u", "label": "unparsed", "detail": json.dumps({"position": "B", "baseline": "F16"})}
    )
    rows.append(
        rows[0] | {"sample_id": "n", "variant": "F16", "label": "n/a", "detail": json.dumps({"reason": "baseline"})}
    )
    rows += pairwise_rows(0, 1, 0, 0, 0, 0, task="other")
    pooled = pairwise_summaries(rows, "pair")
    assert [s.variant for s in pooled] == ["Q4_K_M"]
    assert (pooled[0].wins, pooled[0].losses, pooled[0].unparsed) == (2, 2, 1)
    assert pooled[0].positions[1].unparsed == 1
    per_task = pairwise_summaries(rows, "pair", by_task=True)
    assert [(s.task, s.wins, s.losses) for s in per_task] == [("other", 0, 1), ("qa", 2, 1)]
