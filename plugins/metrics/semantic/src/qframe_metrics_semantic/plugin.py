"""Registers the semantic metrics; torch and the model libraries load only when one is built."""

from __future__ import annotations

from qframe.hookspecs import hookimpl
from qframe.plugins import lazy


@hookimpl
def qframe_register_metrics(register) -> None:
    register("bertscore", lazy("qframe_metrics_semantic.bertscore:BERTScoreMetric"), "BERTScore F1 against the reference (bert-score; local model)")
    register("coherence", lazy("qframe_metrics_semantic.coherence:CoherenceMetric"), "SemScore: cosine of sentence embeddings of output and reference")
