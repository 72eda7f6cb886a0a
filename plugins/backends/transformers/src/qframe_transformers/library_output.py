"""Send what the engine libraries print to a log file instead of the terminal.

llm-compressor logs every layer (loguru, to standard output), transformers, datasets and
llm-compressor draw progress bars (tqdm, to standard error), and PyTorch warns from C++; a
quantization run prints hundreds of such lines around the few qframe itself writes. Redirecting
file descriptors 1 and 2 catches all of them, Python-level or native, in one place; no library
offers a switch that covers the others.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def library_output_to(path: Path) -> Iterator[None]:
    """While inside, everything written to standard output and error is appended to ``path``.

    The redirection is process-wide: the caller's own lines belong outside the block (inside it
    they would go to the file too), and output of other threads in that time goes there as well.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with open(path, "ab") as sink:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
        # Python-level writers too, as sys.stdout/sys.stderr may not write to descriptors 1 and 2
        # (a test runner's capture, an embedding application). These streams are never closed,
        # so a library that keeps one (a logging handler made while loading) writes to the
        # terminal again afterwards instead of failing.
        out, err = _descriptor_stream(1), _descriptor_stream(2)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                yield
        finally:
            out.flush()
            err.flush()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in saved:
            os.close(descriptor)


def _descriptor_stream(descriptor: int) -> TextIO:
    return open(descriptor, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
