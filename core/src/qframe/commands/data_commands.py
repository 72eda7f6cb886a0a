"""``qframe data pull`` and ``qframe data list``: the data files tasks read, fetched ahead of a run
(for air-gapped machines and cluster nodes) and what the caches hold.

``pull`` builds every task of a config as a run would, which is what fetches its data: a
benchmark's public export from the hub, a URL export, an lm-eval task's dataset. ``list`` reads
qframe's two caches without importing anything heavy: hub files by name, in the hub's own layout
(``datasets--<owner>--<name>/snapshots/<revision>/<file>``, :func:`qframe.data.cache.hub_cache_dir`),
and URL exports, one folder per task (:func:`qframe.data.cache.data_cache_dir`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from qframe.data.cache import data_cache_dir, hub_cache_dir
from qframe.plugin_api.plugins import PluginHost

if TYPE_CHECKING:
    from qframe.config import Experiment
    from qframe.run.preparation import TaskSet

HUB_REPO_PREFIX = "datasets--"


@attrs.frozen
class CachedFile:
    """One cached data file: where it came from, where it lies, how big it is."""

    origin: str
    path: Path
    size_bytes: int


def pull(experiment: Experiment, host: PluginHost, progress: bool = True) -> TaskSet:
    """Build every task of ``experiment`` (fetching what it reads), one progress step per task."""
    from qframe.run.preparation import load_task_set
    from qframe.run.progress import RunProgress

    announced: list[str] = []
    with RunProgress(len(experiment.tasks), enabled=progress, label="fetching data") as bar:
        def announce(task_id: str) -> None:
            if announced:
                bar.advance(0, False)  # the task before it is ready
            announced.append(task_id)
            bar.describe(f"fetching data: {task_id}")

        tasks = load_task_set(experiment, host, on_task=announce)
        if announced:
            bar.advance(0, False)
    return tasks


def cached_files() -> list[CachedFile]:
    """Every file in qframe's hub and URL caches, hub files first."""
    return _hub_files(hub_cache_dir()) + _url_files(data_cache_dir())


def _hub_files(root: Path) -> list[CachedFile]:
    files = []
    for repo in sorted(root.glob(f"{HUB_REPO_PREFIX}*")):
        name = repo.name.removeprefix(HUB_REPO_PREFIX).replace("--", "/", 1)
        for snapshot in sorted((repo / "snapshots").glob("*")):
            for file in sorted(path for path in snapshot.rglob("*") if path.is_file()):
                origin = f"hub {name}@{snapshot.name[:8]}: {file.relative_to(snapshot)}"
                files.append(CachedFile(origin, file, file.stat().st_size))
    return files


def _url_files(root: Path) -> list[CachedFile]:
    return [
        CachedFile(f"url export of task {file.parent.name}: {file.name.split('-', 1)[-1]}", file, file.stat().st_size)
        for file in sorted(root.glob("*/*"))
        if file.is_file() and not file.name.endswith(".part")
    ]


@click.group()
def data() -> None:
    """Data files tasks read: fetch them ahead of a run, list what is cached."""


@data.command("pull")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
@click.pass_obj
def data_pull(host: PluginHost, config: Path, no_progress: bool) -> None:
    """Download every data file CONFIG's tasks read (for machines without network)."""
    from qframe.config import load_experiment
    from qframe.plugin_api.protocols import ORIGIN

    tasks = pull(load_experiment(config, host), host, progress=not no_progress)
    for task_id, samples in tasks.samples.items():
        source = tasks.provenance.get(task_id, {}).get(ORIGIN)
        click.echo(f"{task_id}: {len(samples)} items" + (f" from {source}" if source else ""))
    click.echo(f"{len(tasks.samples)} tasks ready; a run of this config needs no network for its data", err=True)


@data.command("list")
def data_list() -> None:
    """What qframe's data caches hold, from where, and its size."""
    from qframe.data.cache import cache_dir

    files = cached_files()
    for file in files:
        click.echo(f"{file.size_bytes / 1e6:10.1f} MB  {file.origin}  ({file.path})")
    total = sum(file.size_bytes for file in files)
    click.echo(f"{len(files)} files, {total / 1e6:.1f} MB under {cache_dir()}; lm-eval tasks' datasets are in "
               "the Hugging Face datasets cache (see: hf cache ls)", err=True)
