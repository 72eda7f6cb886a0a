"""Judge ``pairwise``: a blinded comparison of a variant's response with its baseline's.

For every item of a non-baseline variant whose baseline answered the same item, the judge
model sees both responses as "Answer A" and "Answer B", in an order drawn from ``seed`` and the
item's key (so the order of an item never depends on which other items are judged with it),
and answers ``VERDICT: A``, ``B`` or ``tie`` (and ``CONFIDENCE: high|medium|low``). The stored
label is the variant's outcome: ``win``, ``lose`` or ``tie``. Items of a baseline, items whose
baseline output is missing, and items outside ``tasks`` get ``n/a``. The detail records the
variant's position, the judge's choice, the baseline id and the confidence.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from qframe.analysis.verdict_summaries import ERROR, NOT_APPLICABLE, UNPARSED
from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import BackendProvider, ScoringItem, Verdict
from qframe_judge_llm.model import JudgeModel
from qframe_judge_llm.parsing import VERDICT_LINE
from qframe_judge_llm.replies import read_reply, template_detail
from qframe_judge_llm.settings import COMMON_OPTIONS, OptionReader, read_settings
from qframe_judge_llm.templates import PAIRWISE, builtin_template, pairwise_values, template_from_file

NAME = "pairwise"
WIN, LOSE, TIE = "win", "lose", "tie"
POSITIONS = ("A", "B")
ANSWER_WORDS = {"a": "A", "b": "B", "tie": TIE}


def variant_position(item: ScoringItem, seed: int) -> str:
    """Where the variant's response is shown, ``A`` or ``B``: a fair draw per item key."""
    draw = random.Random(f"{seed}:{item.variant}:{item.task}:{item.sample.id}:{item.repetition}").random()
    return POSITIONS[draw >= 0.5]


def outcome(choice: str, position: str) -> str:
    """The variant's result when the judge chose ``choice`` and the variant stood at ``position``."""
    if choice == TIE:
        return TIE
    return WIN if choice == position else LOSE


class PairwiseJudge:
    name = NAME

    def __init__(self, config: Mapping[str, Any], backends: BackendProvider) -> None:
        reader = OptionReader(NAME, config, COMMON_OPTIONS)
        self.settings = read_settings(reader, confidence_default=True)
        self.backends = backends
        files = self.settings.templates
        unknown = sorted(set(files) - {PAIRWISE})
        if unknown:
            raise ConfigError(f"{NAME} judge: unknown template kind {unknown[0]!r}; its only kind is '{PAIRWISE}'")
        self.template = template_from_file(PAIRWISE, files[PAIRWISE]) if files else builtin_template(PAIRWISE)

    def summarize(self, rows: Sequence[Mapping[str, Any]], judge_id: str) -> list[dict[str, Any]]:
        """Per variant: wins, losses, ties, win rate with Wilson CI, sign test, position bias."""
        from qframe_judge_llm.summary import pairwise_summaries

        table = []
        for summary in pairwise_summaries(rows, judge_id):
            row = attrs.asdict(summary, filter=lambda field, _: field.name not in ("positions", "confidence"))
            for position in summary.positions:
                row |= {f"shown_{position.position}_{name}": getattr(position, name) for name in ("wins", "losses", "ties")}
            table.append(row | {f"confidence_{level}": count for level, count in summary.confidence.items()})
        return table

    def skip_reason(self, item: ScoringItem) -> str | None:
        if self.settings.tasks is not None and item.task not in self.settings.tasks:
            return "task not judged"
        if item.baseline_row is None:
            return "no baseline output for this item"
        if item.baseline_row["variant"] == item.variant:
            return "baseline"
        return None

    async def judge(self, items: Sequence[ScoringItem]) -> list[Verdict]:
        reasons = [self.skip_reason(item) for item in items]
        verdicts = [Verdict(NOT_APPLICABLE, "", self.settings.model, "", {"reason": reason}) for reason in reasons]
        asked = [index for index, reason in enumerate(reasons) if reason is None]
        if not asked:
            return verdicts
        positions = {index: variant_position(items[index], self.settings.seed) for index in asked}
        async with JudgeModel(self.settings, self.backends) as model:
            replies = await model.ask_all([self._prompt(items[i], positions[i]) for i in asked])
        for index, reply in zip(asked, replies, strict=True):
            choice, detail = read_reply(reply, ANSWER_WORDS, VERDICT_LINE, self.settings.confidence)
            label = choice if choice in (UNPARSED, ERROR) else outcome(choice, positions[index])
            detail |= {
                "position": positions[index],
                "choice": None if choice in (UNPARSED, ERROR) else choice,
                "baseline": items[index].baseline_row["variant"],
            } | template_detail(self.template)
            verdicts[index] = Verdict(label, reply.text, model.info.model, model.info.digest, detail)
        return verdicts

    def _prompt(self, item: ScoringItem, position: str) -> str:
        variant_text, baseline_text = item.text, item.baseline_row.get("text") or ""
        first, second = (variant_text, baseline_text) if position == "A" else (baseline_text, variant_text)
        return self.template.render(pairwise_values(item, first, second))
