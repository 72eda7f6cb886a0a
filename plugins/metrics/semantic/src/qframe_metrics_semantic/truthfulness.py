"""``embedding_max``, ``embedding_diff``, ``embedding_acc``: truthfulness against true and false references.

The similarity is the cosine of sentence embeddings, as for coherence (SemScore), with the same
model choice (option ``model``; by default the seed model when cached, else the bundled offline
MiniLM). The three parts are defined in :mod:`qframe.data.references`. Items without true and false
references score None; a blank output scores 0 on each part without reaching the model (it says
nothing, so it is close to no reference).

The three metrics of one model share one loaded encoder and one embedding per distinct text (the
references of an item are the same for every variant), so scoring all three costs one pass.
Options: ``model`` and ``batch_size`` (default 64).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from qframe.plugin_api.protocols import ScoringItem
from qframe.data.references import contrast, references_of
from qframe_metrics_semantic.coherence import SEED_MODEL
from qframe_metrics_semantic.models import LocalModel, choose_model, load_sentence_encoder, require
from qframe_metrics_semantic.options import check_known, positive_int

if TYPE_CHECKING:
    import numpy

SIMILARITY = "embedding"
OPTIONS = ("model", "batch_size")


def make_metric(part: str, options: Mapping[str, Any]) -> EmbeddingContrastMetric:
    """The metric registered as ``embedding_<part>``."""
    return EmbeddingContrastMetric(options, part=part)


class EmbeddingContrastMetric:
    """One part (``max``, ``diff`` or ``acc``) of the embedding reference contrast."""

    def __init__(self, options: Mapping[str, Any], part: str) -> None:
        self.name = f"{SIMILARITY}_{part}"
        self.part = part
        check_known(self.name, options, OPTIONS)
        require(self.name, "torch", "sentence_transformers")
        self.model = choose_model(self.name, options.get("model"), SEED_MODEL)
        self.batch_size = positive_int(self.name, options, "batch_size", 64)
        self.params: Mapping[str, str] = {
            "model": self.model.name,
            "similarity": "cosine",
            "references": "true vs false",
        }

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        references = [references_of(item.sample) for item in items]
        texts = [
            text
            for item, refs in zip(items, references, strict=True)
            if refs is not None
            for text in (item.text, *refs.true, *refs.false)
            if text.strip()
        ]
        vectors = _Embeddings.of(self.model).get(texts, self.batch_size)
        values: list[float | None] = []
        for item, refs in zip(items, references, strict=True):
            if refs is None:
                values.append(None)
            elif not item.text.strip():
                values.append(contrast(self.part, [0.0], [0.0]))
            else:
                output = vectors[item.text]
                true = [float(output @ vectors[text]) for text in refs.true]
                false = [float(output @ vectors[text]) for text in refs.false]
                values.append(contrast(self.part, true, false))
        return values


class _Embeddings:
    """Unit-length embeddings of texts by one model, computed once per distinct text."""

    def __init__(self, model: LocalModel) -> None:
        self._encoder = load_sentence_encoder(model)
        self._vectors: dict[str, numpy.ndarray] = {}

    @staticmethod
    @lru_cache(maxsize=2)
    def of(model: LocalModel) -> _Embeddings:
        return _Embeddings(model)

    def get(self, texts: Sequence[str], batch_size: int) -> Mapping[str, numpy.ndarray]:
        missing = list(dict.fromkeys(text for text in texts if text not in self._vectors))
        if missing:
            encoded = self._encoder.encode(
                missing,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            self._vectors.update(zip(missing, encoded, strict=True))
        return self._vectors
