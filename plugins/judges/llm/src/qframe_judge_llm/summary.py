"""Pairwise results from stored ``pairwise`` verdicts: counts, win rate, sign test, position bias.

Pure functions over verdict rows (see :mod:`qframe.analysis.verdict_summaries`). The item is the
unit, as in the main analysis: an item's repetitions are one game, scored as the mean of its
decided verdicts (win 1, tie ½, loss 0), and the item is won above ½, lost below and tied at ½.
The win rate leaves ties out: ``wins / (wins + losses)`` over items, with a Wilson interval; the
sign test asks whether won and lost items differ from a fair coin. ``verdicts`` counts the
decided verdicts behind them (items x repetitions). The position table splits the outcomes by where the
variant's response was shown, so a judge that favours ``A`` or ``B`` shows up; the confidence
counts are over parsed verdicts (``none`` where the reply stated no readable confidence).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from qframe.analysis.stats import sign_test, wilson_interval
from qframe.analysis.verdict_summaries import ERROR, NOT_APPLICABLE, UNPARSED
from qframe_judge_llm.pairwise import LOSE, POSITIONS, TIE, WIN

NO_CONFIDENCE = "none"


@attrs.frozen
class PositionRow:
    """The variant's outcomes when its response was shown at ``position``."""

    position: str
    wins: int
    losses: int
    ties: int
    unparsed: int


@attrs.frozen
class PairwiseSummary:
    """One variant against its baseline (on one task, or pooled over tasks when ``task`` is None)."""

    variant: str
    baseline: str
    task: str | None
    wins: int
    losses: int
    ties: int
    unparsed: int
    errors: int
    verdicts: int
    win_rate: float | None
    win_low: float | None
    win_high: float | None
    sign_p: float
    positions: tuple[PositionRow, ...]
    confidence: Mapping[str, int] = attrs.field(hash=False)

    @property
    def decisive(self) -> int:
        return self.wins + self.losses


def pairwise_summaries(
    rows: Iterable[Mapping[str, Any]], judge: str, by_task: bool = False, confidence: float = 0.95
) -> list[PairwiseSummary]:
    """One summary per variant (per variant and task with ``by_task``), sorted."""
    groups: dict[tuple[str, str | None], list[tuple[Mapping[str, Any], dict[str, Any]]]] = defaultdict(list)
    for row in rows:
        if row["judge"] == judge and row["label"] != NOT_APPLICABLE:
            groups[(row["variant"], row["task"] if by_task else None)].append((row, json.loads(row["detail"] or "{}")))
    return [_summary(variant, task, group, confidence) for (variant, task), group in sorted(groups.items(), key=_order)]


def _order(entry: tuple[tuple[str, str | None], Any]) -> tuple[str, str]:
    (variant, task), _ = entry
    return variant, task or ""


def _summary(
    variant: str, task: str | None, group: Sequence[tuple[Mapping[str, Any], dict[str, Any]]], level: float
) -> PairwiseSummary:
    labels = Counter(row["label"] for row, _ in group)
    games = item_games(row for row, _ in group)
    wins, losses, ties = games[WIN], games[LOSE], games[TIE]
    interval = wilson_interval(wins, wins + losses, level) if wins + losses else None
    parsed = [detail for row, detail in group if row["label"] in (WIN, LOSE, TIE)]
    baselines = sorted({detail["baseline"] for _, detail in group if detail.get("baseline")})
    return PairwiseSummary(
        variant=variant,
        baseline=", ".join(baselines),
        task=task,
        wins=wins,
        losses=losses,
        ties=ties,
        unparsed=labels[UNPARSED],
        errors=labels[ERROR],
        verdicts=labels[WIN] + labels[LOSE] + labels[TIE],
        win_rate=wins / (wins + losses) if wins + losses else None,
        win_low=interval.low if interval else None,
        win_high=interval.high if interval else None,
        sign_p=sign_test(wins, losses),
        positions=tuple(_position_row(position, group) for position in POSITIONS),
        confidence=dict(Counter(detail.get("confidence") or NO_CONFIDENCE for detail in parsed)),
    )


GAME_SCORE = {WIN: 1.0, TIE: 0.5, LOSE: 0.0}


def item_games(rows: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """Won, lost and tied items: each item's decided verdicts over its repetitions, averaged."""
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        if row["label"] in GAME_SCORE:
            scores[(row["task"], row["sample_id"])].append(GAME_SCORE[row["label"]])
    outcome = Counter()
    for values in scores.values():
        mean = sum(values) / len(values)
        outcome[WIN if mean > 0.5 else LOSE if mean < 0.5 else TIE] += 1
    return outcome


def _position_row(position: str, group: Sequence[tuple[Mapping[str, Any], dict[str, Any]]]) -> PositionRow:
    labels = Counter(row["label"] for row, detail in group if detail.get("position") == position)
    return PositionRow(position, labels[WIN], labels[LOSE], labels[TIE], labels[UNPARSED])
