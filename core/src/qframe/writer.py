"""The single writer of a run: the run lock plus the manifest's history of who wrote what.

Every command that writes a run (``run``, ``resume``, ``rescore``, ``rejudge``, ``report``)
holds the run's lock (:mod:`qframe.runlock`) and appends one entry to ``manifest["history"]``:
the command, when, on which host, the qframe and plugin versions, and ``first_parts``, the
number the store gives the next part of each table. Rows in parts numbered from one entry's
``first_parts`` up to the next entry's were written by that entry's versions, so a resume with
upgraded plugins never hides which versions produced which rows. ``manifest["plugins"]`` stays
the versions the run was created with.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import qframe
from qframe.runlock import run_lock

if TYPE_CHECKING:
    from qframe.session import Session


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
    with run_lock(session.path, command):
        session.manifest.setdefault("history", []).append(history_entry(session, command))
        session.save()
        yield
