"""The single writer of a run: the run lock plus the manifest's history of who wrote what.

Every command that writes a run (``run``, ``resume``, ``rescore``, ``rejudge``, ``report``)
holds the run's lock (:mod:`qframe.run.runlock`) and appends one entry to ``manifest["history"]``:
the command, when, on which host, the qframe and plugin versions, and ``first_parts``, the
number the store gives the next part of each table. Rows in parts numbered from one entry's
``first_parts`` up to the next entry's were written by that entry's versions, so a resume with
upgraded plugins never hides which versions produced which rows. ``manifest["plugins"]`` stays
the versions the run was created with.

A writer that died without finishing (killed, crashed) leaves the status ``created`` or
``running`` and its lock file behind; :func:`shown_status` tells it from a live writer by the
lock (see :mod:`qframe.run.runlock`), and the next writer records ``died`` on the entry it left.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import qframe
from qframe.run.runlock import NO_WRITER, WRITER_ELSEWHERE, WRITER_LIVE, describe_owner, run_lock, writer_state

if TYPE_CHECKING:
    from qframe.run.session import Session


def history_entry(session: Session, command: str) -> dict[str, Any]:
    positions = getattr(session.store, "positions", None)
    return {
        "command": command,
        "started_at": datetime.fromtimestamp(time.time(), timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "qframe_version": qframe.__version__,
        "plugins": session.host.versions(),
        "first_parts": positions() if positions is not None else None,
    }


@contextmanager
def writing(session: Session, command: str) -> Iterator[None]:
    """Hold the run's lock and record this writer in the manifest's history."""
    with run_lock(session.path, command) as lock:
        history = session.manifest.setdefault("history", [])
        if session.manifest.get("status") in UNFINISHED and (lock.stale_owner or history):
            session.manifest["status"] = "died"
            if history:
                history[-1]["ended"] = "died"
        history.append(history_entry(session, command))
        session.save()
        yield


UNFINISHED = ("created", "running")
"""Statuses a writer sets while it works; one that is still there when no writer holds the lock died."""


def shown_status(run_dir: Path, manifest: dict[str, Any]) -> str:
    """The run's status as users should read it: an unfinished status without a live writer is
    ``died``, with who died; a live writer is named."""
    status = str(manifest.get("status", "unknown"))
    if status not in UNFINISHED:
        return status
    state, owner = writer_state(run_dir)
    if state == WRITER_LIVE:
        return f"{status} (by {describe_owner(owner)})"
    if state == WRITER_ELSEWHERE:
        return f"{status}? (locked by {describe_owner(owner)}; whether it lives cannot be seen from this host)"
    if state == NO_WRITER and not manifest.get("history"):
        return status  # created, never written
    who = describe_owner(owner) if owner else "its writer"
    return f"died ({who} ended without finishing; continue with qframe resume)"
