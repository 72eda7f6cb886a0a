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
