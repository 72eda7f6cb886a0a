"""One run from start to report: manifest, generation, fidelity, scoring, judging, analysis, reports.

``new_session`` starts a run directory from an experiment; ``open_session`` reopens one from its
manifest (for resume, rescore, rejudge and report). ``execute`` runs whatever is missing, as the
run's only writer (:mod:`qframe.run.writer`); the exit code is 0 when every item succeeded, 1 while
stored errors remain, 130 when interrupted by Ctrl-C (SIGINT) and 143 by SIGTERM. A store that
cannot write stops the run with :class:`StoreWriteError` (exit 1), everything written before intact.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import platform
import signal
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

import qframe
from qframe.analysis.data import RunData
from qframe.analysis.pipeline import analyse as analyse_run
from qframe.analysis.quality import declared_signals
from qframe.config import (
    Experiment,
    PluginRef,
    VariantSection,
    config_hash,
    structure_experiment,
    unstructure_experiment,
)
from qframe.data.records import ItemKey, key_of
from qframe.plugin_api.errors import RunStateError, StoreWriteError
from qframe.plugin_api.plugins import PluginHost
from qframe.plugin_api.protocols import Backend, BackendSpec, ModelInfo, RunStore, Sample
from qframe.run import stopping
from qframe.run.aliases import evaluated, find_aliases, record_aliases
from qframe.run.executors import Executor, GenerationJob
from qframe.run.fidelity_stage import run_fidelity
from qframe.run.plan import Unit, backend_spec, expand_items, schedule
from qframe.run.preparation import TaskSet, load_task_set
from qframe.run.progress import RunProgress
from qframe.run.runner import RowSink, StageResult
from qframe.run.stages import make_judge, metrics_by_task, run_judging, run_scoring, scoring_items

MANIFEST = "manifest.json"
EXIT_OK, EXIT_ERRORS, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 130, 143


@attrs.define
class Session:
    experiment: Experiment
    host: PluginHost
    store: RunStore
    manifest: dict[str, Any]
    tasks: TaskSet | None = None

    @property
    def path(self) -> Path:
        return self.store.path

    def save(self) -> None:
        self.manifest["updated_at"] = _now()
        self.store.write_manifest(self.manifest)

    def backend_for(self, spec: BackendSpec) -> Backend:
        return self.host.get("backends", spec.backend).factory(spec)

    def variant_backend(self, variant: VariantSection) -> Backend:
        return self.backend_for(backend_spec(self.experiment, variant))


@attrs.define
class Outcome:
    exit_code: int
    completed: int
    errors: int
    reports: list[Path]


def new_session(
    experiment: Experiment,
    host: PluginHost,
    output_dir: Path | None = None,
    run_id: str | None = None,
    tasks: TaskSet | None = None,
) -> Session:
    """Create the run directory and its manifest; an existing run directory is never reused."""
    config = unstructure_experiment(experiment)
    digest = config_hash(config)
    run_id = run_id or f"{experiment.experiment.name}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{digest[:6]}"
    root = output_dir or Path(experiment.experiment.output_dir)
    run_dir = root / run_id
    if run_dir.exists():
        raise RunStateError(f"{run_dir}: a run with this id already exists; continue it with: qframe resume {run_dir}")
    store = host.get("stores", experiment.store.name, where="store.name").factory(run_dir)
    manifest = {
        "run_id": run_id,
        "qframe_version": qframe.__version__,
        "config": config,
        "config_hash": digest,
        "store": experiment.store.name,
        "plugins": host.versions(),
        "host": _host_facts(),
        "variants": {
            v.id: {"backend": v.backend, "model": v.model, "quant": v.quant, "baseline": v.baseline, "family": v.family}
            for v in experiment.resolved_variants()
        },
        "created_at": _now(),
        "status": "created",
    }
    session = Session(experiment, host, store, manifest, tasks)
    session.save()
    return session


def open_session(run_dir: Path, host: PluginHost) -> Session:
    """Reopen a stored run; its resolved config comes from the manifest."""
    manifest_file = Path(run_dir) / MANIFEST
    if not manifest_file.is_file():
        raise RunStateError(f"{run_dir}: not a qframe run (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_file.read_text())
        experiment = structure_experiment(manifest["config"])
    except (json.JSONDecodeError, KeyError) as exc:
        raise RunStateError(f"{manifest_file}: unreadable manifest ({type(exc).__name__}: {exc})") from None
    store = host.get("stores", manifest.get("store", "arrow"), where="manifest store").factory(Path(run_dir))
    return Session(experiment, host, store, manifest)


def use_executor(session: Session, name: str) -> None:
    """Run this session's missing items on executor ``name`` (where items run is not part of
    what they are: the stored config and its hash stay; placements record where each ran)."""
    section = attrs.evolve(session.experiment.executor, name=name)
    session.host.get("executors", name, where="--executor").factory(section)
    session.experiment.executor = section


def checked_provenance(manifest: Mapping[str, Any], provenance: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The tasks' provenance as the manifest records it; a resumed run whose tasks' sources
    changed since it started (another file, another task config) is refused."""
    current = json.loads(json.dumps(provenance, sort_keys=True, default=str))
    recorded = manifest.get("task_provenance")
    if recorded is not None:
        for task_id in sorted(set(recorded) | set(current)):
            if recorded.get(task_id) != current.get(task_id):
                changed = sorted(
                    key for key in set(recorded.get(task_id) or {}) | set(current.get(task_id) or {})
                    if (recorded.get(task_id) or {}).get(key) != (current.get(task_id) or {}).get(key)
                )
                raise RunStateError(
                    f"task {task_id}: its source changed since the run started ({', '.join(changed)}); "
                    "start a new run, or restore the source the run recorded in its manifest (task_provenance)"
                )
    return current


def load_tasks(session: Session) -> tuple[dict[str, list[Sample]], dict[str, str], dict[str, tuple[str, ...]]]:
    """Samples, mode and default metrics of every task id (the same for every variant)."""
    if session.tasks is None:
        session.tasks = load_task_set(session.experiment, session.host)
    return session.tasks.samples, session.tasks.modes, session.tasks.default_metrics


def _record_model(session: Session, variant: VariantSection, info: ModelInfo, placement: Mapping[str, Any]) -> None:
    """Write a variant's model facts and placement; refuse weights that changed since they were recorded.

    Checked when the variant's backend opens, wherever the executor runs it, before any of its
    items: a resumed run never mixes rows of two different models under one variant.
    """
    entry = session.manifest["variants"].setdefault(variant.id, {})
    recorded = entry.get("digest")
    if recorded and info.digest != recorded:
        raise RunStateError(
            f"variant {variant.id!r}: model digest changed since the run started "
            f"(recorded {recorded[:12]}, now {info.digest[:12]}); start a new run instead of resuming"
        )
    entry |= attrs.asdict(info)
    entry["placement"] = dict(placement)
    placements = entry.setdefault("placements", [])
    if dict(placement) not in placements:
        placements.append(dict(placement))
    aliases = session.manifest.get("aliases") or {}
    record_aliases(session.manifest["variants"], {alias: of for alias, of in aliases.items() if of == variant.id})
    session.save()


async def execute(session: Session, progress: bool = True) -> Outcome:
    """Run every missing item, then score, judge, analyse and report. Safe to call again."""
    from qframe.run.writer import writing

    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    received: list[signal.Signals] = []

    def stop(sig: signal.Signals) -> None:
        received.append(sig)
        main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)
    try:
        with writing(session, "resume" if session.manifest.get("history") else "run"):
            try:
                return await _execute(session, progress)
            except asyncio.CancelledError:
                session.manifest["status"] = "interrupted"
                session.save()
                code = EXIT_TERMINATED if signal.SIGTERM in received else EXIT_INTERRUPTED
                return Outcome(code, 0, 0, [])
            except StoreWriteError as exc:
                _save_failed(session)
                raise StoreWriteError(
                    f"{exc}; the run stopped, rows written before are intact; "
                    f"free space and continue with: qframe resume {session.path}"
                ) from None
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _save_failed(session: Session) -> None:
    session.manifest["status"] = "failed"
    try:
        session.save()
    except StoreWriteError:
        pass  # the manifest stays "running"; resume works from either status


def _done_keys(session: Session) -> set[ItemKey]:
    return {key_of(row) for row in session.store.read("generations").to_pylist() if row["error"] is None}


async def _generate(session: Session, executor: Executor, units: list[Unit], bar: RunProgress,
                    keep_open: frozenset[str] = frozenset()) -> StageResult:
    experiment = session.experiment
    sink = RowSink(session.store, "generations", experiment.store.flush_rows, experiment.store.flush_interval_s)
    record = functools.partial(_record_model, session)
    try:
        return await executor.run(GenerationJob(experiment, units, sink, bar, session.variant_backend, record, keep_open))
    finally:
        sink.flush()  # whatever the executor: rows it handed over are written, even on Ctrl-C


async def _score_and_judge(session: Session, samples: Mapping[str, list[Sample]], default_metrics: Mapping[str, tuple[str, ...]],
                           fidelity: bool) -> list[dict[str, Any]]:
    """Fidelity (when asked), scores and verdicts of every stored generation that lacks them."""
    experiment = session.experiment
    generations = session.store.read("generations").to_pylist()
    scored = scoring_items(experiment, samples, generations)
    if fidelity:
        result = await run_fidelity(experiment, session.store, scored, session.variant_backend)
        if result.method is not None:
            session.manifest["fidelity"] = {"method": result.method, "notes": result.notes}
    await run_scoring(experiment, session.host, session.store, scored, metrics_by_task(experiment, default_metrics, session.host))
    await run_judging(experiment, session.host, session.store, scored, session.backend_for)
    return generations


async def _generate_until_decided(session: Session, executor: Executor, samples: Mapping[str, list[Sample]],
                                  modes: Mapping[str, str], default_metrics: Mapping[str, tuple[str, ...]],
                                  variants: Sequence[VariantSection], progress: bool) -> int:
    """Block after block, look and stop decided variants (see :mod:`qframe.run.stopping`); returns
    the items completed. A resumed run replays its blocks: missing items of the variants that
    drew a block run again, looks already taken keep their decisions."""
    experiment = session.experiment
    pool = stopping.Pool.build(expand_items(experiment, samples, modes, variants=variants), experiment.experiment.seed,
                               experiment.schedule.block_size)
    state = session.manifest.get("sequential")
    if state is None:
        state = session.manifest["sequential"] = stopping.new_state(experiment.schedule, pool, experiment.experiment.seed)
    stopping.check_state(state, pool)
    taken = stopping.blocks_looked_at(state)
    completed = 0
    release = getattr(executor, "release", None)

    def keep_loaded(drawn: set[str]) -> frozenset[str]:
        # round_robin holds every model at once anyway; sequential holds one, reloading at each look
        return frozenset(drawn) if experiment.schedule.mode == "round_robin" else frozenset()

    try:
        with RunProgress(pool.size, enabled=progress) as bar:
            for block in range(len(pool.blocks)):
                drawn = stopping.drawing(state, variants, block)
                if not drawn - {v.id for v in variants if v.baseline} and not all(v.baseline for v in variants):
                    break  # every compared variant has stopped
                done = _done_keys(session)
                todo = [item for item in pool.items_of(block, drawn) if item.key not in done]
                if todo:
                    units = schedule(todo, variants, "round_robin", len(todo))
                    completed += (await _generate(session, executor, units, bar, keep_loaded(drawn))).completed
                if block in taken:
                    continue
                await _score_and_judge(session, samples, default_metrics, fidelity=False)
                stopped = stopping.take_look(state, block, pool, analyse(session), drawn)
                bar.set_total(bar.done + pool.items_after(block, stopping.drawing(state, variants, block + 1)))
                session.save()
                if stopped:
                    bar.describe(f"look {block + 1}: stopped {', '.join(stopped)}")
    finally:
        if release is not None:
            await release()
    return completed


async def _execute(session: Session, progress: bool) -> Outcome:
    experiment = session.experiment
    samples, modes, default_metrics = load_tasks(session)
    session.manifest["quality_signals"] = declared_signals(session.tasks.quality)
    session.manifest["task_provenance"] = checked_provenance(session.manifest, session.tasks.provenance)
    if "aliases" not in session.manifest:
        # Aliases are decided when a run starts; a run that already holds rows keeps every variant.
        started = bool(_done_keys(session))
        session.manifest["aliases"] = {} if started else await find_aliases(experiment.resolved_variants(), session.variant_backend)
    variants = evaluated(experiment.resolved_variants(), session.manifest["aliases"])
    session.manifest["status"] = "running"
    session.save()
    executor = session.host.get("executors", experiment.executor.name, where="executor.name").factory(experiment.executor)
    if experiment.schedule.stops_when_decided:
        completed = await _generate_until_decided(session, executor, samples, modes, default_metrics, variants, progress)
    else:
        items = expand_items(experiment, samples, modes, skip=_done_keys(session), variants=variants)
        units = schedule(items, variants, experiment.schedule.mode, experiment.schedule.block_size)
        with RunProgress(len(items), enabled=progress) as bar:
            completed = (await _generate(session, executor, units, bar)).completed
    generations = await _score_and_judge(session, samples, default_metrics, fidelity=True)
    errors = sum(1 for row in generations if row["error"] is not None)
    session.manifest["status"] = "complete" if errors == 0 else "incomplete"
    session.manifest["counts"] = {"items": len(generations), "errors": errors}
    reports = render_reports(session)
    session.save()
    return Outcome(EXIT_OK if errors == 0 else EXIT_ERRORS, completed, errors, reports)


def analyse(session: Session) -> dict[str, Any]:
    """Cells, tests, labels and decisions from what the store holds now."""
    refs = session.experiment.classifiers or [
        PluginRef(name) for name in session.host.in_registration_order("classifiers")
    ]
    classifiers = [session.host.get("classifiers", ref.name).factory(ref.options) for ref in refs]
    data = RunData.from_store(session.store, session.manifest)
    note_quarantined_parts(session)
    summaries = judge_summaries(session, data.verdicts)
    analysis = analyse_run(data, session.experiment.analysis, classifiers, summaries, session.experiment.experiment.seed)
    if "sequential" in session.manifest:
        analysis["stopping"] = stopping.summary(session.manifest["sequential"], analysis)
    return analysis | {"manifest": session.manifest}


def note_quarantined_parts(session: Session) -> None:
    """Record parts the store moved aside as unreadable (their items count as missing): the run
    is then incomplete until ``resume`` runs them again."""
    moved = [str(Path(path).relative_to(session.path)) for path in getattr(session.store, "quarantined", [])]
    if moved:
        session.store.quarantined.clear()
        recorded = session.manifest.setdefault("quarantined", [])
        recorded.extend(path for path in moved if path not in recorded)
        session.manifest["status"] = "incomplete"


def judge_summaries(session: Session, verdicts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each configured judge's own summary table, for judges that offer one."""
    summaries = {}
    for judge_id, section in session.experiment.judges.items():
        rows = [row for row in verdicts if row["judge"] == judge_id]
        if not rows:
            continue
        judge = make_judge(session.host, judge_id, section, session.backend_for)
        if hasattr(judge, "summarize"):
            summaries[judge_id] = judge.summarize(rows, judge_id)
    return summaries


def render_reports(session: Session) -> list[Path]:
    analysis = analyse(session)
    refs = session.experiment.reports or [PluginRef(name) for name in session.host.names("reporters")]
    paths: list[Path] = []
    for ref in refs:
        reporter = session.host.get("reporters", ref.name).factory(ref.options)
        paths.extend(reporter.render(session.store, analysis))
    return paths


def _host_facts() -> Mapping[str, Any]:
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
    }


def _now() -> str:
    return datetime.fromtimestamp(time.time(), timezone.utc).isoformat(timespec="seconds")
