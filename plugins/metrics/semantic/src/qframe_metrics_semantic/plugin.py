"""Registers the semantic metrics; torch and the model libraries load only when one is built."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy

TRUTHFULNESS_PARTS = {
    "max": "truthfulness: embedding cosine to the closest true reference",
    "diff": "truthfulness: embedding cosine to the closest true minus to the closest false reference",
    "acc": "truthfulness: 1 if the embedding is closer to a true reference than to every false one",
}
"""The parts of the embedding reference contrast (:data:`qframe.data.references.CONTRAST_PARTS`)."""


@hookimpl
def qframe_register_metrics(register) -> None:
    register("bertscore", lazy("qframe_metrics_semantic.bertscore:BERTScoreMetric"), "BERTScore F1 against the reference (bert-score; local model)")
    register("coherence", lazy("qframe_metrics_semantic.coherence:CoherenceMetric"), "SemScore: cosine of sentence embeddings of output and reference")
    for part, description in TRUTHFULNESS_PARTS.items():
        register(f"embedding_{part}", lazy("qframe_metrics_semantic.truthfulness:make_metric", part), description)
