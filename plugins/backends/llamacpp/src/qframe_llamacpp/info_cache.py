"""Remember what :func:`inspect_gguf` found, keyed by the file's identity on disk.

Hashing and parsing a model takes seconds (about 1.4 s for a 145 MB file; minutes for tens of
GB), and every run opens every variant. A file whose path, size, modification time (ns) and
inode are unchanged is the same file, so its summary (digest included) is read back from a small
JSON record instead. The record holds the summary only: its ``tensors`` are empty.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

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
    record_path = Path(cache_folder) / f"{_identity(path)}.json"
    try:
        record = json.loads(record_path.read_text())
        return GgufInfo(path=path, tensors=(), **{name: record[name] for name in SUMMARY_FIELDS})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    info = inspect_gguf(path)
    try:
        record_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(record_path) as partial:
            partial.write_text(json.dumps({name: getattr(info, name) for name in SUMMARY_FIELDS}))
    except OSError:
        pass  # an unwritable cache only costs the next run the same inspection
    return info


def weights_sha256_cached(path: str | Path, cache_folder: str | Path) -> str:
    """:func:`~qframe_llamacpp.gguf_info.weights_sha256` of ``path``, from ``cache_folder`` when
    the file is unchanged (hashing every tensor takes about a second per 250 MB)."""
    path = Path(path)
    record_path = Path(cache_folder) / f"{_identity(path)}.weights.json"
    try:
        return str(json.loads(record_path.read_text())["weights_sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = weights_sha256(path)
    try:
        record_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(record_path) as partial:
            partial.write_text(json.dumps({"weights_sha256": digest}))
    except OSError:
        pass
    return digest
