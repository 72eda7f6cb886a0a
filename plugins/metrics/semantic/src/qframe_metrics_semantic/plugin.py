"""Registers the semantic metrics; torch and the model libraries load only when one is built."""

from __future__ import annotations

from qframe.hookspecs import hookimpl


@hookimpl
def qframe_register_metrics(register) -> None:
    from qframe_metrics_semantic.bertscore import BERTScoreMetric
    from qframe_metrics_semantic.coherence import CoherenceMetric

    register("bertscore", BERTScoreMetric, "BERTScore F1 against the reference (bert-score; local model)")
    register("coherence", CoherenceMetric, "SemScore: cosine of sentence embeddings of output and reference")
