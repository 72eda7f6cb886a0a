"""``qframe doctor`` (do the engines run here?), ``qframe ls`` (which runs, in what state) and
``qframe tasks`` (which tasks the installed plugins offer, and a task's own catalogue)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qframe.plugin_api.errors import BadInputError
from qframe.plugin_api.plugins import PluginHost


@click.command()
@click.option("--quiet", is_flag=True, help="Print only failures (setup's self-test).")
@click.option("--check", "only", multiple=True, metavar="NAME", help="Run only this check (e.g. llamacpp).")
@click.pass_obj
def doctor(host: PluginHost, quiet: bool, only: tuple[str, ...]) -> None:
    """Check that every installed engine runs on this machine; print their builds and versions."""
    import platform

    import qframe

    failures: list[str] = []
    if not quiet:
        click.echo(f"qframe {qframe.__version__} on {platform.machine()}, Python {platform.python_version()}")
    registrations = [host.get("checks", name, where="--check") for name in only] or host.registrations("checks")
    for registration in registrations:
        try:
            report = registration.factory()
        except Exception as exc:  # a broken check is itself a failure, not a crash of doctor
            failures.append(f"{registration.name}: the check itself failed ({type(exc).__name__}: {exc})")
            continue
        if not quiet:
            click.echo(f"{registration.name}: {'ok' if not report.failures else 'FAILED'}"
                       if report.installed else f"{registration.name}: not installed")
            for key, value in report.facts.items():
                click.echo(f"  {key}: {value}")
        failures.extend(report.failures)
    for failure in failures:
        click.echo(f"qframe doctor: {failure}", err=True)
    if failures:
        sys.exit(1)


@click.command("ls")
@click.argument("folder", required=False, default="runs", type=click.Path(path_type=Path))
def list_runs(folder: Path) -> None:
    """List the runs in FOLDER (default: runs) with their status; a run whose writer died says so."""
    import json

    from qframe.run.writer import shown_status

    if not folder.is_dir():
        raise click.BadParameter(f"{folder} is not a folder", param_hint="FOLDER")
    for run_dir in sorted(path for path in folder.iterdir() if (path / "manifest.json").is_file()):
        try:
            manifest = json.loads((run_dir / "manifest.json").read_text())
        except (OSError, json.JSONDecodeError) as exc:
            click.echo(f"{run_dir.name}  unreadable manifest ({type(exc).__name__})")
            continue
        counts = manifest.get("counts") or {}
        items = f"{counts['items']} items, {counts['errors']} errors" if counts else "no counts yet"
        click.echo(f"{run_dir.name}  {shown_status(run_dir, manifest)}  {items}  updated {manifest.get('updated_at', '?')}")


def say_if_died(session) -> None:
    """One line when the run's last writer died without finishing (before a command takes it over)."""
    from qframe.run.writer import shown_status

    status = shown_status(session.path, session.manifest)
    if status.startswith("died"):
        click.echo(f"qframe: {session.path}: {status}", err=True)


@click.command()
@click.argument("name", required=False)
@click.argument("pattern", required=False)
@click.pass_obj
def tasks(host: PluginHost, name: str | None, pattern: str | None) -> None:
    """List the tasks installed plugins provide; with NAME, the catalogue that task offers
    (e.g. ``qframe tasks lmeval 'mmlu*'``: lm-eval's tasks matching a glob or a substring)."""
    if name is None:
        for registration in host.registrations("tasks"):
            click.echo(f"{registration.name}  ({registration.distribution} {registration.version})  {registration.description}")
        return
    catalogue = getattr(host.get("tasks", name, where="qframe tasks NAME").factory, "catalogue", None)
    if catalogue is None:
        raise BadInputError(f"task {name} offers no catalogue; it is one task (see: qframe tasks)")
    entries = catalogue(pattern)
    for entry, kind in entries:
        click.echo(f"{entry}  ({kind})")
    click.echo(f"{len(entries)} entries" + (f" matching {pattern!r}" if pattern else ""), err=True)
