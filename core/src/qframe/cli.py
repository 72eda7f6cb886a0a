"""The ``qframe`` command line. Heavy work is imported inside each command to keep start-up fast."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qframe.errors import QframeError
from qframe.plugins import PluginHost, get_host, strict_from_env


@click.group()
@click.version_option(package_name="qframe")
@click.option("--strict", is_flag=True, help="Fail when any plugin fails to load (also QFRAME_STRICT=1).")
@click.pass_context
def cli(ctx: click.Context, strict: bool) -> None:
    """Measure what quantization costs a model: quality, safety, fidelity and speed."""
    host = get_host()
    for failure in host.failures:
        click.echo(f"warning: {failure.describe()}", err=True)
    if strict or strict_from_env():
        host.check_strict()
    ctx.obj = host


def _progress_option(function):
    return click.option("--no-progress", is_flag=True, help="Do not show the live progress bar.")(function)


@cli.command()
@click.argument("config", required=False, type=click.Path(path_type=Path))
@click.option("--out", "output_dir", type=click.Path(path_type=Path), help="Folder for run directories.")
@click.option("--run-id", help="Name of the run directory (default: name-timestamp-hash).")
@_progress_option
@click.pass_obj
def run(host: PluginHost, config: Path | None, output_dir: Path | None, run_id: str | None, no_progress: bool) -> None:
    """Run an experiment (generate, score, judge, report). Without CONFIG: the offline demo."""
    from qframe.config import check_references, load_experiment, structure_experiment
    from qframe.demo import demo_config
    from qframe.session import new_session

    if config is None:
        experiment = structure_experiment(demo_config(host))
        check_references(experiment, host)
    else:
        experiment = load_experiment(config, host)
    session = new_session(experiment, host, output_dir, run_id)
    click.echo(f"run directory: {session.path}", err=True)
    _finish(session, no_progress)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@_progress_option
@click.pass_obj
def resume(host: PluginHost, run_dir: Path, no_progress: bool) -> None:
    """Finish an interrupted run: only the missing or failed items are run."""
    from qframe.session import open_session

    _finish(open_session(run_dir, host), no_progress)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.pass_obj
def rescore(host: PluginHost, run_dir: Path) -> None:
    """Recompute every score from stored generations (no generation)."""
    import asyncio

    from qframe.session import load_tasks, open_session, render_reports
    from qframe.stages import metrics_by_task, run_scoring, scoring_items

    session = open_session(run_dir, host)
    samples, _, defaults = load_tasks(session)
    items = scoring_items(session.experiment, samples, session.store.read("generations").to_pylist())
    metrics = metrics_by_task(session.experiment, defaults, host)
    written = asyncio.run(run_scoring(session.experiment, host, session.store, items, metrics, redo=True))
    click.echo(f"{written} scores written", err=True)
    for path in render_reports(session):
        click.echo(f"report: {path}")


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.pass_obj
def report(host: PluginHost, run_dir: Path) -> None:
    """Re-render the reports of a stored run."""
    from qframe.session import open_session, render_reports

    for path in render_reports(open_session(run_dir, host)):
        click.echo(f"report: {path}")


@cli.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.pass_obj
def validate(host: PluginHost, config: Path) -> None:
    """Check a config file: structure, types and that every plugin it names is installed."""
    from qframe.config import load_experiment

    experiment = load_experiment(config, host)
    variants = experiment.resolved_variants()
    baselines = ", ".join(v.id for v in variants if v.baseline)
    click.echo(f"ok: {len(variants)} variants (baseline {baselines}), {len(experiment.tasks)} tasks")


@cli.command()
@click.pass_obj
def plugins(host: PluginHost) -> None:
    """List installed plugins: distribution, version and what each registers."""
    for plugin in sorted(host.plugins.values(), key=lambda p: p.distribution):
        provides = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in plugin.provides.items())
        click.echo(f"{plugin.distribution} {plugin.version}  {provides or '(commands only)'}")
    for failure in host.failures:
        click.echo(f"{failure.distribution} BROKEN  {failure.error}")


@cli.command()
@click.pass_obj
def tasks(host: PluginHost) -> None:
    """List the tasks installed plugins provide."""
    for registration in host.registrations("tasks"):
        click.echo(f"{registration.name}  ({registration.distribution} {registration.version})  {registration.description}")


def _finish(session, no_progress: bool) -> None:
    import asyncio

    from qframe.session import execute

    outcome = asyncio.run(execute(session, progress=not no_progress))
    for path in outcome.reports:
        click.echo(f"report: {path}")
    status = session.manifest["status"]
    click.echo(f"{status}: {outcome.completed} items run, {outcome.errors} errors stored in {session.path}", err=True)
    if outcome.exit_code:
        if status == "interrupted":
            click.echo(f"interrupted; continue with: qframe resume {session.path}", err=True)
        sys.exit(outcome.exit_code)


def _add_plugin_commands() -> None:
    host = get_host()
    for hookimpl in host.manager.hook.qframe_register_commands.get_hookimpls():
        try:
            hookimpl.function(cli=cli)
        except Exception as exc:  # a broken command must not take the CLI down
            from qframe.plugins import PluginFailure

            plugin = host.plugins.get(hookimpl.plugin_name)
            distribution = plugin.distribution if plugin else "unknown"
            host.failures.append(PluginFailure(hookimpl.plugin_name, distribution, f"{type(exc).__name__}: {exc}"))


def main() -> None:
    try:
        _add_plugin_commands()
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except QframeError as exc:
        click.echo(f"qframe: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
