"""llama.cpp's own log (model loading, per-tensor quantize lines) into a file, not the terminal.

llama.cpp and ggml write their log through one callback (``llama_log_set``). qframe installs its
callback once per process: inside :func:`native_log_to` every line goes to the given file;
outside, only warnings and errors reach standard error. A run or a ladder build then shows
qframe's own progress lines, and the full native log stays on disk for when something fails.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

GGML_LOG_LEVEL_WARN = 3
GGML_LOG_LEVEL_CONT = 5

_lock = threading.Lock()
_state: dict[str, Any] = {"file": None, "callback": None, "last_level": 0}


def _write(level: int, text: bytes | None, _user_data: Any) -> None:
    if not text:
        return
    if level == GGML_LOG_LEVEL_CONT:
        level = _state["last_level"]
    _state["last_level"] = level
    handle: IO[bytes] | None = _state["file"]
    if handle is not None:
        handle.write(text)
    elif level >= GGML_LOG_LEVEL_WARN:
        sys.stderr.write(text.decode("utf-8", "replace"))


def _install() -> None:
    """Route llama.cpp's log through :func:`_write` (once per process)."""
    if _state["callback"] is not None:
        return
    import llama_cpp

    callback = llama_cpp.llama_log_callback(_write)
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    _state["callback"] = callback  # the C side holds only a pointer: keep the object alive


@contextlib.contextmanager
def native_log_to(path: str | Path) -> Iterator[Path]:
    """Append llama.cpp's log to ``path`` while the block runs (nested blocks: innermost wins)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        _install()
    with open(path, "ab") as handle:
        previous, _state["file"] = _state["file"], handle
        try:
            yield path
        finally:
            handle.flush()
            _state["file"] = previous
