"""What each generation suite asks and how it is scored.

The metric groups follow the task types of the quality baseline: reference-heavy suites
(summarization, question answering) by overlap, semantic similarity and length; code by n-gram
precision first; creative writing by semantic similarity, length and repetition, since many
different texts are good answers; classification by exact match of the label. Extraction is
scored by entity F1 with its counts, parse rate and entity-free accuracy. Each suite's quality
signal (what its tier reads) is its primary score: the label's exact match (a proportion) for
classification, entity F1 for extraction, BLEU and ROUGE-L for code, coherence for creative
writing, and BERTScore, coherence and ROUGE-L for the reference-heavy suites.
"""

from __future__ import annotations

import attrs
from qframe.analysis.quality import FALLBACK_CONTINUOUS
from qframe.plugin_api.protocols import CONTINUOUS, QualitySignal

REFERENCE_HEAVY = ("rouge_l", "bertscore", "coherence", "output_length")
EXTRACTION_METRICS = ("entity_f1", "entity_tp", "entity_fp", "entity_fn", "json_parsed", "entity_free_correct")
ENTITY_TYPES = ("PER", "ORG", "LOC", "MISC")
KEY_METRICS = QualitySignal(FALLBACK_CONTINUOUS, CONTINUOUS)


@attrs.frozen
class Suite:
    """One generation suite: its items are ``data/<name>.jsonl``, each prompt is ``template`` with
    the item's ``input`` in place of ``{input}``; ``quality`` is the score its quality tier reads."""

    name: str
    description: str
    template: str
    default_metrics: tuple[str, ...]
    quality: QualitySignal


SUITES: tuple[Suite, ...] = (
    Suite(
        "summarization",
        "summarize a short news-style passage in one sentence (50 items)",
        "Summarize the following text in one sentence.\n\n{input}",
        REFERENCE_HEAVY,
        KEY_METRICS,
    ),
    Suite(
        "qa",
        "answer an everyday science or general-knowledge question in a sentence or two (50 items)",
        "Answer the question in one or two sentences.\n\nQuestion: {input}",
        REFERENCE_HEAVY,
        KEY_METRICS,
    ),
    Suite(
        "code",
        "write a small Python function from a one-line specification (50 items)",
        "Write the Python function described below. Reply with the code only.\n\n{input}",
        ("bleu", "coherence", "rouge_l", "output_length"),
        QualitySignal(("bleu", "rouge_l"), CONTINUOUS),
    ),
    Suite(
        "creative",
        "write a short poem, story opening, description or note (50 items)",
        "{input}",
        ("coherence", "output_length", "repetition"),
        QualitySignal(("coherence",), CONTINUOUS),
    ),
    Suite(
        "classification",
        "label the sentiment of a short review: positive, negative or neutral (50 items)",
        "Classify the sentiment of this review as positive, negative or neutral. "
        "Reply with the label only.\n\nReview: {input}",
        ("exact_match", "coherence", "output_length"),
        QualitySignal(("exact_match",)),
    ),
    Suite(
        "extraction",
        "extract named entities from a sentence as a JSON array; 14 of 50 sentences have none",
        "List the named entities in the sentence below as a JSON array of objects with the keys "
        '"entity" and "type", where type is PER (person), ORG (organization), LOC (location) or MISC '
        "(other names, such as events, nationalities and awards). Reply with the JSON array only, "
        "or [] if the sentence names nothing.\n\nSentence: {input}",
        EXTRACTION_METRICS,
        QualitySignal(("entity_f1",), CONTINUOUS),
    ),
)
