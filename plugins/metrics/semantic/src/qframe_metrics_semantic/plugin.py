"""Registers the semantic metrics; torch and the model libraries load only when one is built."""

from __future__ import annotations

from qframe.hookspecs import hookimpl


@hookimpl
def qframe_register_metrics(register) -> None:
    from qframe_metrics_semantic.bertscore import BERTScoreMetric
    from qframe_metrics_semantic.coherence import CoherenceMetric

    register("bertscore", BERTScoreMetric, "BERTScore F1 against the reference (bert-score; local model)")
    register("coherence", CoherenceMetric, "SemScore: cosine of sentence embeddings of output and reference")
    _register_truthfulness(register)


def _register_truthfulness(register) -> None:
    from functools import partial

    from qframe.references import CONTRAST_PARTS
    from qframe_metrics_semantic.truthfulness import SIMILARITY, EmbeddingContrastMetric

    descriptions = {
        "max": "truthfulness: embedding cosine to the closest true reference",
        "diff": "truthfulness: embedding cosine to the closest true minus to the closest false reference",
        "acc": "truthfulness: 1 if the embedding is closer to a true reference than to every false one",
    }
    for part in CONTRAST_PARTS:
        register(f"{SIMILARITY}_{part}", partial(EmbeddingContrastMetric, part=part), descriptions[part])
