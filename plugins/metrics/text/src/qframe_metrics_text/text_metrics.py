"""Per-sample text metrics, each a pure function of a candidate (and usually a reference) text.

Every score lies in [0, 1] except ``length_ratio``, which is a plain ratio. BLEU is reported on
the same 0-1 scale as the other metrics (sacrebleu's 0-100 score divided by 100), so that a
percent change or a composite average treats all metrics alike.

Lengths and n-grams count whitespace-separated words (``str.split``), so they do not depend on
any model's tokenizer. The ROUGE and BLEU scorers come from ``rouge_score`` and ``sacrebleu``;
each is imported and built on first use and then reused.
"""

from __future__ import annotations

from functools import cache
from statistics import fmean
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rouge_score.rouge_scorer import RougeScorer
    from sacrebleu.metrics import BLEU

REPETITION_NGRAM = 4
"""Order of the word n-grams that ``repetition`` counts."""


@cache
def _rouge_l_scorer() -> RougeScorer:
    """The ROUGE-L scorer (Porter stemming on), built once."""
    from rouge_score.rouge_scorer import RougeScorer

    return RougeScorer(["rougeL"], use_stemmer=True)


@cache
def _sentence_bleu_scorer() -> BLEU:
    """Sentence-level BLEU: 13a tokenization, exponential smoothing, effective n-gram order."""
    from sacrebleu.metrics import BLEU

    return BLEU(effective_order=True)


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F-measure: longest-common-subsequence F1 of the stemmed word sequences."""
    return _rouge_l_scorer().score(target=reference, prediction=candidate)["rougeL"].fmeasure


def bleu(candidate: str, reference: str) -> float:
    """Sentence BLEU (1-4 gram precisions, brevity penalty) against one reference, in [0, 1]."""
    return _sentence_bleu_scorer().sentence_score(candidate, [reference]).score / 100.0


def exact_match(candidate: str, reference: str) -> float:
    """1.0 if the texts are equal after stripping surrounding whitespace and case-folding.

    Nothing else is normalised: ``"B) Ampere"`` does not match ``"B"`` and ``"Paris."`` does not
    match ``"Paris"``. This strictness is what separates raw from rescored benchmark accuracy.
    """
    return float(candidate.strip().casefold() == reference.strip().casefold())


def length_ratio(candidate: str, reference: str) -> float:
    """Candidate word count over reference word count (1.0 = same length, above 1 = longer).

    With an empty reference the ratio is 1.0 for an empty candidate and ``inf`` otherwise.
    """
    candidate_words, reference_words = len(candidate.split()), len(reference.split())
    if reference_words == 0:
        return 1.0 if candidate_words == 0 else float("inf")
    return candidate_words / reference_words


def output_length(candidate: str, reference: str) -> float:
    """Shorter over longer word count, so truncation and over-generation both score below 1.

    Two empty texts score 1.0; one empty text against a non-empty one scores 0.0.
    """
    shorter, longer = sorted((len(candidate.split()), len(reference.split())))
    return 1.0 if longer == 0 else shorter / longer


def repetition(candidate: str) -> float:
    """Distinct word 4-grams over all word 4-grams; 1.0 means no 4-gram occurs twice.

    Words are compared exactly as written (case and punctuation kept). A text of fewer than four
    words has no 4-grams, hence none repeated, and scores 1.0.
    """
    words = candidate.split()
    ngrams = [
        tuple(words[start : start + REPETITION_NGRAM])
        for start in range(len(words) - REPETITION_NGRAM + 1)
    ]
    if not ngrams:
        return 1.0
    return len(set(ngrams)) / len(ngrams)


def key_metric_average(bertscore: float, coherence: float, rouge_l: float) -> float:
    """Unweighted mean of BERTScore, coherence and ROUGE-L: the generation-quality summary."""
    return fmean((bertscore, coherence, rouge_l))
