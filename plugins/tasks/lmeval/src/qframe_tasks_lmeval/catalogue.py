"""lm-eval's task catalogue: which names exist, and the lm-eval task objects behind a name.

lm-eval's ``TaskManager`` indexes every YAML task it ships (about 15,000 names, several
seconds) plus a team's own folders (``include_path``). A name found in the team's folders alone
is loaded from a catalogue of just those folders, which takes a fraction of a second; anything
else from lm-eval's whole catalogue with the folders added, as ``lm_eval --include_path`` does.
Catalogues and loaded tasks are kept for the life of the process, so scoring reuses the objects
the items were built from.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import logging
from collections.abc import Mapping
from typing import Any

from qframe.plugin_api.errors import BadInputError, ConfigError, first_line

LOGGERS = ("lm_eval", "datasets")


@functools.lru_cache(maxsize=8)
def task_manager(include_paths: tuple[str, ...], with_defaults: bool) -> Any:
    """lm-eval's catalogue of ``include_paths`` (and of lm-eval's own tasks ``with_defaults``)."""
    from lm_eval.tasks import TaskManager

    with quiet():
        return TaskManager(include_path=list(include_paths) or None, include_defaults=with_defaults)


def catalogue_for(name: str, include_paths: tuple[str, ...]) -> Any:
    """The smallest catalogue that knows ``name``; an unknown name is one line with close matches."""
    if include_paths and name in task_manager(include_paths, False).all_tasks:
        return task_manager(include_paths, False)
    full = task_manager(include_paths, True)
    if name not in full.all_tasks:
        close = difflib.get_close_matches(name, full.all_tasks, n=5, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; list them with: qframe tasks lmeval PATTERN"
        raise ConfigError(f"task lmeval: options.task: {name!r} is no lm-eval task, group or tag{hint}")
    return full


@functools.lru_cache(maxsize=32)
def leaf_tasks(name: str, include_paths: tuple[str, ...]) -> dict[str, Any]:
    """The leaf lm-eval tasks of a task, group or tag (name -> task object), in lm-eval's order.

    Building a task opens its dataset; a dataset that cannot be read (not cached while offline, a
    missing local file, a hub that cannot be reached) is one line naming the task.
    """
    manager = catalogue_for(name, include_paths)
    try:
        with quiet():
            try:
                loaded = manager.load([name])
            except KeyError:
                if manager is task_manager(include_paths, True):
                    raise
                # The team's group names lm-eval's own tasks: load it from the whole catalogue.
                loaded = task_manager(include_paths, True).load([name])
    except ConfigError:
        raise
    except Exception as exc:  # datasets raises many types; each becomes the same one line
        raise BadInputError(
            f"lm-eval task {name!r}: its dataset could not be loaded: {first_line(exc, with_type=True)} "
            "(offline? run `qframe data pull CONFIG` where the hub is reachable)"
        ) from exc
    return dict(loaded["tasks"])


def listing(pattern: str | None = None, include_paths: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``(name, kind)`` of every catalogue entry matching ``pattern`` (a glob, or a substring)."""
    manager = task_manager(tuple(include_paths), True)
    kinds = {name: "group" for name in manager.all_groups} | {name: "tag" for name in manager.all_tags}
    names = manager.all_tasks
    if pattern:
        glob = pattern if any(char in pattern for char in "*?[") else f"*{pattern}*"
        names = [name for name in names if fnmatch.fnmatchcase(name, glob)]
    return [(name, kinds.get(name, "task")) for name in names]


class quiet:
    """Keep lm-eval's and datasets' info logging and progress bars off the terminal."""

    def __enter__(self) -> quiet:
        import datasets

        self._levels: Mapping[str, int] = {name: logging.getLogger(name).level for name in LOGGERS}
        for name in LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        self._bars = datasets.is_progress_bar_enabled()
        datasets.disable_progress_bars()
        return self

    def __exit__(self, *exc: object) -> None:
        import datasets

        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        if self._bars:
            datasets.enable_progress_bars()
