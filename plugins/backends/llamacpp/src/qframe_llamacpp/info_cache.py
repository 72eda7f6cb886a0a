"""Remember what :func:`inspect_gguf` found, keyed by the file's identity on disk.

Hashing and parsing a model takes seconds (about 1.4 s for a 145 MB file; minutes for tens of
GB), and every run opens every variant. A file whose path, size, modification time (ns) and
inode are unchanged is the same file, so its summary (digest included) is read back from a small
JSON record instead. The record holds the summary only: its ``tensors`` are empty.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .atomic import atomic_output
from .gguf_info import GgufInfo, inspect_gguf, weights_sha256

SUMMARY_FIELDS = (
    "sha256", "size_bytes", "architecture", "parameter_count", "tensor_types", "tensor_type_elements",
    "bits_per_weight", "context_length", "file_type", "shape",
)


def _identity(path: Path) -> str:
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ino}"
    return hashlib.sha256(key.encode()).hexdigest()


def inspect_gguf_cached(path: str | Path, cache_folder: str | Path) -> GgufInfo:
    """``inspect_gguf(path)`` without ``tensors``, from ``cache_folder`` when the file is unchanged."""
    path = Path(path)
    record = _cached(path, Path(cache_folder) / f"{_identity(path)}.json",
                     lambda: _summary(inspect_gguf(path)), lambda record: [record[name] for name in SUMMARY_FIELDS])
    return GgufInfo(path=path, tensors=(), **{name: record[name] for name in SUMMARY_FIELDS})


def weights_sha256_cached(path: str | Path, cache_folder: str | Path) -> str:
    """:func:`~qframe_llamacpp.gguf_info.weights_sha256` of ``path``, from ``cache_folder`` when
    the file is unchanged (hashing every tensor takes about a second per 250 MB)."""
    path = Path(path)
    record = _cached(path, Path(cache_folder) / f"{_identity(path)}.weights.json",
                     lambda: {"weights_sha256": weights_sha256(path)}, lambda record: str(record["weights_sha256"]))
    return str(record["weights_sha256"])


def _summary(info: GgufInfo) -> dict[str, Any]:
    return {name: getattr(info, name) for name in SUMMARY_FIELDS}


def _cached(path: Path, record_path: Path, compute: Callable[[], dict[str, Any]],
            check: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """The JSON record at ``record_path`` when it reads and passes ``check``, else ``compute()``
    written there (an unwritable cache only costs the next run the same work)."""
    try:
        record = json.loads(record_path.read_text())
        check(record)
        return record
    except (OSError, ValueError, KeyError, TypeError):
        pass
    record = compute()
    try:
        record_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(record_path) as partial:
            partial.write_text(json.dumps(record))
    except OSError:
        pass
    return record
