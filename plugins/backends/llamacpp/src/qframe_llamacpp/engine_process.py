"""The llama.cpp worker process (:mod:`.engine_worker`) seen from qframe: start, ask, stop.

Calls block: the backend makes them from its one llama.cpp thread. When the worker dies (a native
fault, an out-of-memory kill), the call in flight and every later one raise
:class:`qframe.plugin_api.errors.EngineCrashedError` naming the signal; the worker is not restarted, so a
variant whose engine crashed stores the crash with each remaining item and ``qframe resume``
runs them again in a fresh worker.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from qframe.plugin_api.errors import BackendError, EngineCrashedError

from .engine import GenerationAborted
from .engine_worker import read_message, write_message

RAISED_AS: dict[str, type[Exception]] = {
    "GenerationAborted": GenerationAborted,
    "ValueError": ValueError,
    "TypeError": TypeError,
}
"""Worker exception types raised again as themselves; any other becomes a :class:`BackendError`."""

SIGNAL_NOTES = {signal.SIGKILL: "killed, often by the kernel's out-of-memory killer"}


def signal_name(number: int) -> str:
    """``SIGSEGV`` for 11 (``unknown signal`` for a number without a name)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"


def describe_signal(number: int) -> str:
    """``SIGSEGV: Segmentation fault``: the signal's name and what it usually means."""
    return f"{signal_name(number)}: {SIGNAL_NOTES.get(number) or signal.strsignal(number)}"


class EngineProcess:
    """One worker and its pipes; not thread-safe (one caller thread).

    The worker's stderr (Python's stack on a native fault) is appended to ``log``, the file that
    also gets llama.cpp's own log, and a crash message names it.
    """

    def __init__(self, log: Path) -> None:
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as stderr:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "qframe_llamacpp.engine_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        self._crash: EngineCrashedError | None = None
        self._stopping = False

    @property
    def pid(self) -> int:
        return self._process.pid

    def call(self, op: str, *args: Any) -> Any:
        """Run ``op`` in the worker and return its result (see :mod:`.engine_worker`)."""
        if self._crash is not None:
            raise self._crash
        try:
            write_message(self._process.stdin, (op, args))
            reply = read_message(self._process.stdout)
        except (BrokenPipeError, ConnectionResetError, ValueError):
            reply = None  # it died; the exit status says how
        if reply is None:
            raise self._died()
        if reply[0] == "ok":
            return reply[1]
        _, kind, message = reply
        raise RAISED_AS.get(kind, BackendError)(message if kind in RAISED_AS else f"llama.cpp: {kind}: {message}")

    def abort(self) -> None:
        """Ask the generation in progress to stop at its next token."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGUSR1)

    def kill(self) -> None:
        """End the worker now (closing took too long)."""
        self._stopping = True
        if self._process.poll() is None:
            self._process.kill()

    def close(self) -> None:
        """Free the model and end the worker (called on the caller thread, after any call in flight)."""
        self._stopping = True
        if self._process.poll() is None and self._crash is None:
            try:
                self.call("close")
            except BackendError:
                pass
        for stream in (self._process.stdin, self._process.stdout):
            stream.close()
        self._process.wait()

    def _died(self) -> BackendError:
        code = self._process.wait()
        if self._stopping:
            return BackendError("llama.cpp worker stopped while a call was in flight")
        if code < 0:
            cause = f"signal {-code} in llama.cpp ({describe_signal(-code)})"
        else:
            cause = f"exit code {code} in llama.cpp"
        self._crash = EngineCrashedError(f"engine crashed: {cause}; worker log: {self.log}")
        return self._crash
