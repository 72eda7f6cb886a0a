"""Write a file under a temporary name and move it into place only once it is complete.

A model file interrupted half-way must never be mistaken for a finished one (the ladder reuses
outputs it finds), so every writer here goes through :func:`atomic_output`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_output(destination: str | Path) -> Iterator[Path]:
    """Yield a sibling temporary path; on success rename it onto ``destination``, else delete it."""
    destination = Path(destination)
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        yield partial
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def save_gguf(writer: Any, destination: str | Path) -> Path:
    """Write a populated ``gguf.GGUFWriter`` (metadata and tensors added) to ``destination``."""
    with atomic_output(destination) as partial:
        writer.write_header_to_file(partial)
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
    return Path(destination)
