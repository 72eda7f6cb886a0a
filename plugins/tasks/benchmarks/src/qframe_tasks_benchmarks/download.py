"""Fetching a benchmark export from a URL once, into qframe's cache folder.

The file lands in ``<cache>/data/<task>/<url digest>-<file name>``: the digest keeps two exports
with the same file name apart (every Hugging Face split is called ``test-00000-of-00001.parquet``).
A cached file is used as it is, so the network is only needed the first time. The download goes
to a ``.part`` file that is renamed when complete, so an interrupted download is never mistaken
for a cached one.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from qframe.data.cache import data_cache_dir
from qframe.plugin_api.errors import BadInputError
from qframe_tasks_benchmarks.sources import SUFFIXES

DOWNLOAD_TIMEOUT_S = 60.0


def cached_path(task: str, url: str) -> Path:
    """Where the export at ``url`` is (or will be) cached for ``task``."""
    name = Path(urllib.parse.urlparse(url).path).name
    if not name.endswith(SUFFIXES):
        raise BadInputError(f"{url}: the URL must name a {' or '.join(SUFFIXES)} file")
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return data_cache_dir() / task / f"{digest}-{name}"


def fetch(task: str, url: str) -> Path:
    """The cached copy of ``url``, downloading it first if it is not cached yet."""
    target = cached_path(task, url)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise BadInputError(f"{url}: download failed ({reason}); set options.path to a local copy instead") from exc
    partial.replace(target)
    return target
