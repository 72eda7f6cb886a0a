"""An exclusive lock on a run directory, so that only one process writes a run at a time.

The lock is the file ``.qframe.lock`` in the run directory, held with ``flock`` for as long as
the writer runs and holding its owner (pid, host, command, start time) as JSON, so that a
refused writer can say who holds the run. The kernel drops an ``flock`` when its process dies,
however it dies, so a lock file left behind by a killed process is stale and is taken over
silently (:attr:`RunLock.stale_owner` then holds the dead writer's record). ``flock`` cannot see
processes on other hosts, so a lock file naming another host is never taken over: the message
names the file to delete once that process is known to be gone. :func:`writer_state` tells,
without taking the lock, whether a run has a live writer, a dead one, or none.

Written by hand: ``filelock`` and similar packages lock the file but do not record or report
the owner, and do not refuse a lock recorded by another host.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qframe.plugin_api.errors import RunLockedError, RunStateError

LOCK_FILE = ".qframe.lock"


def _owner_record(command: str) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "since": datetime.fromtimestamp(time.time(), timezone.utc).isoformat(timespec="seconds"),
    }


def describe_owner(owner: dict[str, Any]) -> str:
    """The owner record of a lock as words: the command, pid, host and start."""
    command = f"'qframe {owner['command']}'" if owner.get("command") else "a qframe process"
    return f"{command} (pid {owner.get('pid', '?')} on {owner.get('host', '?')}, since {owner.get('since', '?')})"


def _read_owner(descriptor: int) -> dict[str, Any]:
    os.lseek(descriptor, 0, os.SEEK_SET)
    raw = b""
    while chunk := os.read(descriptor, 4096):
        raw += chunk
    try:
        owner = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        return {}
    return owner if isinstance(owner, dict) else {}


class RunLock:
    """The write lock of one run directory; use :func:`run_lock` as a context manager."""

    def __init__(self, run_dir: Path, command: str) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self.command = command
        self.stale_owner: dict[str, Any] | None = None
        self._descriptor: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`RunLockedError` naming the live owner."""
        while True:
            try:
                descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise RunStateError(f"{self.path}: cannot create the run lock: {exc.strerror}") from None
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = _read_owner(descriptor)
                os.close(descriptor)
                raise RunLockedError(
                    f"{self.path.parent}: run is being written by {describe_owner(owner)}; "
                    "wait for it to finish or stop it first"
                ) from None
            if self._same_file(descriptor):
                break
            os.close(descriptor)  # the previous owner removed the file between our open and flock
        previous = _read_owner(descriptor)
        if previous and previous.get("host") not in (None, socket.gethostname()):
            os.close(descriptor)
            raise RunLockedError(
                f"{self.path.parent}: run is locked by {describe_owner(previous)}; if that process is gone, "
                f"delete {self.path}"
            )
        self.stale_owner = previous or None
        os.ftruncate(descriptor, 0)
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.write(descriptor, json.dumps(_owner_record(self.command)).encode())
        os.fsync(descriptor)
        self._descriptor = descriptor

    def release(self) -> None:
        """Remove the lock file, then drop the lock (in that order: see :meth:`_same_file`)."""
        if self._descriptor is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._descriptor)
            self._descriptor = None

    def _same_file(self, descriptor: int) -> bool:
        """Whether ``descriptor`` is still the file at ``self.path`` (not one a releasing owner unlinked)."""
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(descriptor)
        return (current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino)


WRITER_LIVE, WRITER_DEAD, WRITER_ELSEWHERE, NO_WRITER = "live", "dead", "elsewhere", "none"


def writer_state(run_dir: Path) -> tuple[str, dict[str, Any]]:
    """Who writes ``run_dir`` now, and the owner record of its lock file (empty without one).

    ``live``: a process holds the lock; ``dead``: a lock file is left by a writer on this host
    that died (killed, crashed) before releasing it; ``elsewhere``: a lock file names another
    host, whose processes this one cannot see; ``none``: no lock file (no writer, or one that
    finished). Only a shared lock is tried, and dropped at once.
    """
    path = Path(run_dir) / LOCK_FILE
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return NO_WRITER, {}
    try:
        owner = _read_owner(descriptor)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return WRITER_LIVE, owner
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        if owner.get("host") not in (None, socket.gethostname()):
            return WRITER_ELSEWHERE, owner
        return WRITER_DEAD, owner
    finally:
        os.close(descriptor)


@contextmanager
def run_lock(run_dir: Path, command: str) -> Iterator[RunLock]:
    """Hold the write lock of ``run_dir`` for the duration of the block."""
    lock = RunLock(run_dir, command)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
