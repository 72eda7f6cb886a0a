"""Progress display for the runner: counts, errors, ETA and tokens/s (rich, imported lazily)."""

from __future__ import annotations

import sys
import time
from typing import Any


class RunProgress:
    """A live progress bar on stderr; silent when disabled or when stderr is not a terminal."""

    def __init__(self, total: int, enabled: bool = True, label: str = "generating") -> None:
        self.total = total
        self.done = 0
        self.errors = 0
        self.tokens = 0
        self._started = time.perf_counter()
        self._progress: Any = None
        self._task: Any = None
        if enabled and total and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("errors {task.fields[errors]}"),
                TextColumn("{task.fields[rate]:.1f} tok/s"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._task = self._progress.add_task(label, total=total, errors=0, rate=0.0)

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def set_total(self, total: int) -> None:
        """A new total (a run that stops when decided drops the items of stopped variants)."""
        self.total = total
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def describe(self, label: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=label)

    def advance(self, tokens: int, failed: bool) -> None:
        self.done += 1
        self.errors += int(failed)
        self.tokens += tokens
        if self._progress is not None:
            self._progress.update(self._task, advance=1, errors=self.errors, rate=self.tokens_per_second)

    @property
    def tokens_per_second(self) -> float:
        elapsed = time.perf_counter() - self._started
        return self.tokens / elapsed if elapsed > 0 else 0.0
