"""The llama.cpp engine's worker process: one :class:`~.engine.LlamaEngine`, asked over a pipe.

llama.cpp is native code: a fault in it (a kernel the CPU mishandles, an out-of-memory kill)
ends the process it runs in. Run here, it ends only this worker, and qframe stores the crash
with the variant's items while the other variants go on (:mod:`.engine_process` is the other end).

Protocol: length-prefixed pickles (:func:`write_message`/:func:`read_message`) on stdin and on
the process's original stdout; the worker points file descriptor 1 at stderr first, so nothing
llama.cpp or Python prints can corrupt a reply. A request is ``(op, args)``; a reply is
``("ok", result)`` or ``("error", exception type name, message)``. Ops: ``open`` (load a model,
closing the one before), ``generate``, ``loglikelihood``, ``teacher_force``, ``close``.
SIGUSR1 asks the generation in progress to stop at its next token (the caller was cancelled).
The worker ends when its stdin closes and, on Linux, when the thread that started it ends.

``QFRAME_TEST_ENGINE_CRASH=FILE_NAME:N`` (tests only) makes the worker whose model file is named
``FILE_NAME`` kill itself with SIGSEGV on its ``N``-th generation or scoring call (``0``: once
the model is loaded, before ``open`` answers).
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import pickle
import signal
import struct
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

TEST_CRASH_ENV = "QFRAME_TEST_ENGINE_CRASH"
_LENGTH = struct.Struct("<Q")
_PR_SET_PDEATHSIG = 1


def write_message(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def read_message(stream: BinaryIO) -> Any | None:
    """The next message, or None at end of stream (also when it ends mid-message)."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(header)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


class EngineServer:
    """Answers requests with one engine; see the module docstring."""

    SCORING_OPS = ("generate", "loglikelihood", "teacher_force")

    def __init__(self) -> None:
        self.engine: Any = None
        self.abort = threading.Event()
        self.calls = 0

    def handle(self, op: str, args: tuple[Any, ...]) -> Any:
        if op in self.SCORING_OPS:
            if self.engine is None:
                raise RuntimeError(f"{op} before open")
            self.calls += 1
            crash_if_asked(self.engine.path, self.calls)
        return getattr(self, f"op_{op}")(*args)

    def op_open(self, path: str, n_ctx: int, n_threads: int | None, seed: int, logits_all: bool, log: str) -> dict[str, Any]:
        from .engine import LlamaEngine
        from .native_log import native_log_to

        self.op_close()
        with native_log_to(log):
            self.engine = LlamaEngine(path, n_ctx=n_ctx, n_threads=n_threads, seed=seed, logits_all=logits_all)
        crash_if_asked(path, 0)
        return LlamaEngine.engine_version()

    def op_generate(self, *args: Any) -> Any:
        self.abort.clear()
        return self.engine.generate(*args, abort=self.abort)

    def op_loglikelihood(self, context: str, continuations: list[str]) -> list[float]:
        return self.engine.loglikelihood(context, continuations)

    def op_teacher_force(self, request: Any) -> Any:
        from qframe.fidelity.rows import scores_from_rows

        from .engine import prompt_for

        continuation = request.text if request.tokens is None else list(request.tokens)
        prompt = prompt_for(request.prompt, request.system, request.chat)
        tokens, rows = self.engine.teacher_force(prompt, request.chat, continuation, request.append_end)
        return scores_from_rows(tokens, rows, request)

    def op_close(self) -> None:
        if self.engine is not None:
            engine, self.engine = self.engine, None
            engine.close()



def crash_if_asked(model: str | Path, call: int) -> None:
    """Tests only: SIGSEGV this process on call number ``call`` of ``model`` if
    ``$QFRAME_TEST_ENGINE_CRASH`` asks for it (see the module docstring)."""
    name, _, count = os.environ.get(TEST_CRASH_ENV, "").rpartition(":")
    if name and name == Path(model).name and count == str(call):
        os.kill(os.getpid(), signal.SIGSEGV)


def _die_with_parent_thread() -> None:
    """Ask Linux to kill this worker when the thread that started it ends (no orphan keeps computing)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass  # without it the worker still ends when its stdin closes


def main() -> None:
    _die_with_parent_thread()
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    faulthandler.enable()  # a native fault prints the Python stack to stderr, then the signal ends the process
    server = EngineServer()
    signal.signal(signal.SIGUSR1, lambda *_: server.abort.set())
    while (message := read_message(requests)) is not None:
        op, args = message
        try:
            reply = ("ok", server.handle(op, args))
        except Exception as exc:  # every failure goes back to the caller, typed by name
            reply = ("error", type(exc).__name__, str(exc))
        write_message(replies, reply)
        if op == "close":
            break


if __name__ == "__main__":
    main()
