"""BERTScore F1 of each output against its reference, computed by the bert-score library.

Both texts are embedded token by token with one layer of a transformer encoder; each token is
matched to its most similar token of the other text (cosine similarity), precision averages the
output's best matches, recall the reference's, and F1 combines them. As bert-score does it, the
encoder's special tokens ([CLS], [SEP]) can be a best match but carry no weight in the averages. No idf weighting and no
baseline rescaling, so values are the library's raw F1 (about 0 to 1; unrelated texts still score
well above 0 with most encoders). A blank output scores 0 (see :mod:`.pairs`).

Options: ``model`` (see :mod:`.models`), ``num_layers`` (the layer used; bert-score's table gives it
for the models it lists, the bundled MiniLM encoder uses its last layer, 6), ``batch_size``
(default 64). The model loads on the first batch and serves every later one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import ScoringItem
from qframe_metrics_semantic.models import BUNDLED_LAYERS, choose_model, offline_hub, quiet_transformers, require
from qframe_metrics_semantic.options import check_known, positive_int
from qframe_metrics_semantic.pairs import Pairs

if TYPE_CHECKING:
    from bert_score import BERTScorer

SEED_MODEL = "microsoft/deberta-xlarge-mnli"
OPTIONS = ("model", "num_layers", "batch_size")


class BERTScoreMetric:
    name = "bertscore"

    def __init__(self, options: Mapping[str, Any]) -> None:
        check_known(self.name, options, OPTIONS)
        require(self.name, "torch", "bert_score")
        self.model = choose_model(self.name, options.get("model"), SEED_MODEL)
        self.num_layers = positive_int(self.name, options, "num_layers", None) or self._default_layers()
        self.batch_size = positive_int(self.name, options, "batch_size", 64)
        self.params: Mapping[str, str] = {
            "model": self.model.name,
            "num_layers": str(self.num_layers),
            "score": "F1",
            "idf": "false",
            "rescaled": "false",
        }

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        pairs = Pairs.of(items)
        if not pairs.positions:
            return pairs.spread([], len(items))
        _, _, f1 = self._scorer.score(list(pairs.outputs), list(pairs.references), batch_size=self.batch_size)
        return pairs.spread(f1.tolist(), len(items))

    @cached_property
    def _scorer(self) -> BERTScorer:
        from bert_score import BERTScorer

        quiet_transformers()
        with offline_hub():
            return BERTScorer(model_type=str(self.model.path), num_layers=self.num_layers, batch_size=self.batch_size)

    def _default_layers(self) -> int:
        if self.model.bundled:
            return BUNDLED_LAYERS
        from bert_score.utils import model2layers

        if self.model.name in model2layers:
            return model2layers[self.model.name]
        raise ConfigError(
            f"metric {self.name}: options.num_layers: required for model {self.model.name!r}, "
            "which bert-score has no default layer for"
        )
