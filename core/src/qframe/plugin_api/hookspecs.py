"""Hook specifications: how a plugin tells qframe what it provides.

Hooks only register things; they never do work. Each registration hook receives a
``register(name, factory, description="")`` callback. A factory is called later, when an
experiment actually needs the object, so a plugin must not import heavy libraries at module
level: import them inside the factory (and raise :class:`qframe.plugin_api.errors.MissingDependencyError`
naming the package to install when they are missing).

A plugin is a module exposed through an entry point in the ``qframe`` group::

    [project.entry-points.qframe]
    mybackend = "qframe_mybackend.plugin"

with functions decorated by :data:`hookimpl`. All hooks are called once, when the plugin
manager loads (at CLI start-up), in no particular order between plugins.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from qframe.plugin_api.protocols import (
        BackendFactory,
        CheckFactory,
        ClassifierFactory,
        JudgeFactory,
        MetricFactory,
        ReporterFactory,
        StoreFactory,
        TaskFactory,
    )

PROJECT = "qframe"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def qframe_register_backends(register: Callable[[str, BackendFactory, str], None]) -> None:
    """Register model backends by name, e.g. ``register("ollama", make_ollama_backend)``.

    Called once at plugin load. The factory receives a :class:`qframe.plugin_api.protocols.BackendSpec`
    and returns a :class:`qframe.plugin_api.protocols.Backend`. Registering makes the name usable as
    ``backend = "<name>"`` in a variant or a ladder, and by judges that need a model.
    """


@hookspec
def qframe_register_tasks(register: Callable[[str, TaskFactory, str], None]) -> None:
    """Register tasks (benchmarks, generation suites, safety suites) by name.

    Called once at plugin load. The factory receives the task's ``options`` table from the
    config and returns a :class:`qframe.plugin_api.protocols.Task`. Registering makes the name usable in
    ``[[tasks]] name = "<name>"`` and lists it in ``qframe tasks``.
    """


@hookspec
def qframe_register_metrics(register: Callable[[str, MetricFactory, str], None]) -> None:
    """Register metrics that score stored generations, by name.

    Called once at plugin load. The factory receives the metric's options and returns a
    :class:`qframe.plugin_api.protocols.Metric`; it is built once per scoring stage, so an embedding model
    it loads serves every item. Registering makes the name usable in ``metrics`` and in a
    task's ``default_metrics``.
    """


@hookspec
def qframe_register_judges(register: Callable[[str, JudgeFactory, str], None]) -> None:
    """Register judges (regex, LLM, pairwise) by plugin name.

    Called once at plugin load. The factory receives the judge's config table and a backend
    provider (so an LLM judge can use any registered backend as its model) and returns a
    :class:`qframe.plugin_api.protocols.Judge`. Registering makes the name usable as
    ``[judges.<id>] plugin = "<name>"``.
    """


@hookspec
def qframe_register_classifiers(register: Callable[[str, ClassifierFactory, str], None]) -> None:
    """Register classifiers that label analysis cells (quality tier, safety regime...).

    Called once at plugin load. The factory receives the classifier's options (its thresholds)
    and returns a :class:`qframe.plugin_api.protocols.Classifier`. Registering makes the name usable in
    ``classifiers``.
    """


@hookspec
def qframe_register_reporters(register: Callable[[str, ReporterFactory, str], None]) -> None:
    """Register reporters that render a run's analysis (markdown, html...).

    Called once at plugin load. The factory receives the report's options and returns a
    :class:`qframe.plugin_api.protocols.Reporter`. Registering makes the name usable in ``reports``.
    """


@hookspec
def qframe_register_stores(register: Callable[[str, StoreFactory, str], None]) -> None:
    """Register result stores by name.

    Called once at plugin load. The factory receives a run directory and returns a
    :class:`qframe.plugin_api.protocols.RunStore`. Registering makes the name usable as
    ``[store] name = "<name>"`` (default ``arrow``).
    """


@hookspec
def qframe_register_executors(register: Callable[[str, Callable[..., Any], str], None]) -> None:
    """Register executors: where the generation stage runs (this process, a Ray cluster...).

    Called once at plugin load. The factory (:data:`qframe.run.executors.ExecutorFactory`)
    receives the ``[executor]`` section (:class:`qframe.config.ExecutorSection`) and returns a
    :class:`qframe.run.executors.Executor`: executors drive the run's machinery, so their
    interface lives with it.
    Registering makes the name usable as ``[executor] name = "<name>"``; core registers
    ``local`` (in-process, the default).
    """


@hookspec
def qframe_register_checks(register: Callable[[str, CheckFactory, str], None]) -> None:
    """Register engine checks for ``qframe doctor`` (and the end of ``scripts/setup.sh``).

    Called once at plugin load. A check is called with no arguments when ``qframe doctor`` runs
    and returns a :class:`qframe.plugin_api.protocols.CheckReport`: the engine's build and versions, and a
    one-line failure (with its fix) for each thing that does not work on this machine. Run
    anything that can crash (native code) in a child process.
    """


@hookspec
def qframe_register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``qframe`` command line (``cli.command()`` or ``cli.add_command``).

    Called once when the CLI starts, after every plugin has loaded. Keep imports inside the
    command functions so that ``qframe --help`` stays fast.
    """


@hookspec(firstresult=True)
def qframe_demo_experiment(work_dir: Path) -> dict[str, Any] | None:
    """Prepare the built-in offline demo and return its experiment config (parsed TOML data).

    Called by ``qframe run`` when no config file is given. ``work_dir`` is a cache directory
    the plugin may use for files it builds (models, data). The first plugin that returns a
    config wins: engines that give a real demo use ``tryfirst=True``; fallbacks ``trylast``.
    """


REGISTRATION_HOOKS: dict[str, str] = {
    "backends": "qframe_register_backends",
    "tasks": "qframe_register_tasks",
    "metrics": "qframe_register_metrics",
    "judges": "qframe_register_judges",
    "classifiers": "qframe_register_classifiers",
    "reporters": "qframe_register_reporters",
    "stores": "qframe_register_stores",
    "executors": "qframe_register_executors",
    "checks": "qframe_register_checks",
}
"""Kind of registered object -> the hook that registers it."""

KINDS: tuple[str, ...] = tuple(REGISTRATION_HOOKS)

__all__ = ["KINDS", "REGISTRATION_HOOKS", "hookimpl", "hookspec"]
