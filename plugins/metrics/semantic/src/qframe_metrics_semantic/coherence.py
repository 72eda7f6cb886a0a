"""Coherence (SemScore): cosine similarity of sentence embeddings of an output and its reference.

Outputs and references are embedded together in batches by a sentence-transformers model and
normalised to unit length, so each score is the dot product of two embeddings. Cosine similarity
lies in [-1, 1]; with these encoders unrelated English texts land near 0 and paraphrases near 1.
A blank output scores 0 (see :mod:`.pairs`).

Options: ``model`` (see :mod:`.models`) and ``batch_size`` (default 64). The model loads on the
first batch and serves every later one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from qframe.plugin_api.protocols import ScoringItem
from qframe_metrics_semantic.models import choose_model, load_sentence_encoder, require
from qframe_metrics_semantic.options import check_known, positive_int
from qframe_metrics_semantic.pairs import Pairs

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

SEED_MODEL = "sentence-transformers/all-mpnet-base-v2"
OPTIONS = ("model", "batch_size")


class CoherenceMetric:
    name = "coherence"

    def __init__(self, options: Mapping[str, Any]) -> None:
        check_known(self.name, options, OPTIONS)
        require(self.name, "torch", "sentence_transformers")
        self.model = choose_model(self.name, options.get("model"), SEED_MODEL)
        self.batch_size = positive_int(self.name, options, "batch_size", 64)
        self.params: Mapping[str, str] = {"model": self.model.name, "similarity": "cosine"}

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        pairs = Pairs.of(items)
        if not pairs.positions:
            return pairs.spread([], len(items))
        embeddings = self._encoder.encode(
            [*pairs.outputs, *pairs.references],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        outputs, references = embeddings[: len(pairs.outputs)], embeddings[len(pairs.outputs) :]
        cosines = (outputs * references).sum(axis=1)
        return pairs.spread(cosines.tolist(), len(items))

    @cached_property
    def _encoder(self) -> SentenceTransformer:
        return load_sentence_encoder(self.model)
