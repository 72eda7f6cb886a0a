"""Entity span F1 for named-entity extraction answered as JSON.

The model is asked for a JSON array of ``{"entity": str, "type": str}`` objects. Scoring has two
steps: ``score_sentence`` turns one output and its gold entities into match counts, and
``summarize`` pools the counts of a whole corpus.

Parsing (``parse_entities``). If the output contains a Markdown code fence (```` ``` ```` or
```` ```json ````), only the first fenced block is read; otherwise the whole output. The JSON
array is decoded from the first ``[`` of that text, and prose before the ``[`` or after the
closing ``]`` is ignored: the parse rate measures whether a well-formed answer can be found, not
whether the model said nothing else. The output is a parse failure if there is no ``[``, the
array is not valid JSON, or any element is not an object with string ``entity`` and ``type``
fields (other fields are allowed). A parse failure predicts nothing, scores 0 and is counted in
the parse rate.

Matching. Entities match when both their text and their type are equal after stripping
surrounding whitespace and case-folding. Predictions and gold entities are multisets: an entity
listed twice in the gold set must be predicted twice to earn two true positives, and a duplicated
prediction of an entity listed once is one true positive and one false positive.

Empty sets. A parsed prediction of ``[]`` for a sentence without gold entities has nothing to
find and claims nothing, and scores precision = recall = F1 = 1.0; the same convention applies
to a whole corpus with no gold and no predicted entities. Any other 0/0 precision or recall is
0.0 (no predictions against existing gold gives precision 0.0, as in conlleval).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

_FENCED_BLOCK = re.compile(r"```(?:json)?(?P<body>.*?)```", re.DOTALL | re.IGNORECASE)


class Entity(NamedTuple):
    """One entity mention as written by the model or the gold annotation."""

    text: str
    type: str

    def key(self) -> tuple[str, str]:
        """The form compared when matching: stripped and case-folded text and type."""
        return self.text.strip().casefold(), self.type.strip().casefold()


@dataclass(frozen=True)
class SentenceScore:
    """Match counts of one sentence. A parse failure has ``parsed=False``, ``tp=fp=0``."""

    tp: int
    fp: int
    fn: int
    parsed: bool

    @property
    def gold_is_empty(self) -> bool:
        """Whether the sentence has no gold entities (true and false negatives cover the gold)."""
        return self.tp + self.fn == 0

    @property
    def f1(self) -> float:
        """Per-sentence F1: 0.0 for a parse failure, 1.0 for an empty prediction of empty gold."""
        return _precision_recall_f1(self.tp, self.fp, self.fn)[2] if self.parsed else 0.0


@dataclass(frozen=True)
class EntityF1Summary:
    """Corpus-level extraction quality.

    ``micro_*`` pool true/false positives and false negatives over all sentences (the canonical
    CoNLL score); ``macro_f1`` is the mean of per-sentence F1, which gives every sentence, even an
    entity-free one, the same weight. ``entity_free_accuracy`` is the share of sentences without
    gold entities for which the model returned a parsed, empty array (``None`` if there are none).
    """

    n_sentences: int
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    parse_rate: float
    n_entity_free: int
    entity_free_accuracy: float | None


def parse_entities(output: str) -> list[Entity] | None:
    """The entities of a model output, or ``None`` if it holds no valid entity array."""
    fenced = _FENCED_BLOCK.search(output)
    text = fenced.group("body") if fenced else output
    start = text.find("[")
    if start < 0:
        return None
    try:
        items, _ = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError:
        return None
    if not all(_is_entity_object(item) for item in items):
        return None
    return [Entity(item["entity"], item["type"]) for item in items]


def score_sentence(output: str, gold: Iterable[Mapping[str, str]]) -> SentenceScore:
    """Match the entities in ``output`` against ``gold`` (``{"entity": ..., "type": ...}`` items)."""
    gold_keys = Counter(Entity(item["entity"], item["type"]).key() for item in gold)
    predicted = parse_entities(output)
    if predicted is None:
        return SentenceScore(tp=0, fp=0, fn=gold_keys.total(), parsed=False)
    predicted_keys = Counter(entity.key() for entity in predicted)
    tp = (gold_keys & predicted_keys).total()
    return SentenceScore(
        tp=tp, fp=predicted_keys.total() - tp, fn=gold_keys.total() - tp, parsed=True
    )


def summarize(scores: Sequence[SentenceScore]) -> EntityF1Summary:
    """Pool per-sentence scores into micro/macro F1, parse rate and entity-free accuracy."""
    if not scores:
        raise ValueError("cannot summarize entity F1 over zero sentences")
    precision, recall, f1 = _precision_recall_f1(
        sum(score.tp for score in scores),
        sum(score.fp for score in scores),
        sum(score.fn for score in scores),
    )
    entity_free = [score for score in scores if score.gold_is_empty]
    return EntityF1Summary(
        n_sentences=len(scores),
        micro_precision=precision,
        micro_recall=recall,
        micro_f1=f1,
        macro_f1=sum(score.f1 for score in scores) / len(scores),
        parse_rate=sum(score.parsed for score in scores) / len(scores),
        n_entity_free=len(entity_free),
        entity_free_accuracy=(
            sum(score.parsed and score.fp == 0 for score in entity_free) / len(entity_free)
            if entity_free
            else None
        ),
    )


def _is_entity_object(item: object) -> bool:
    """Whether a decoded JSON element has string ``entity`` and ``type`` fields."""
    return (
        isinstance(item, dict)
        and isinstance(item.get("entity"), str)
        and isinstance(item.get("type"), str)
    )


def _precision_recall_f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from match counts, with the empty-set conventions above."""
    if tp + fp + fn == 0:
        return 1.0, 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, 2 * tp / (2 * tp + fp + fn)
