"""Where qframe keeps files it builds or fetches once: demo ladders, data sets, model summaries."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "QFRAME_CACHE_DIR"


def cache_dir() -> Path:
    """``$QFRAME_CACHE_DIR`` when set, else the user's cache folder for qframe."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("qframe"))


def hub_cache_dir() -> Path:
    """Where files fetched from the Hugging Face hub by name are kept (the hub's own cache
    layout: ``datasets--<owner>--<name>/snapshots/<revision>/<file>``)."""
    return cache_dir() / "hub"


def data_cache_dir() -> Path:
    """Where exports downloaded from a URL are kept, one folder per task."""
    return cache_dir() / "data"
