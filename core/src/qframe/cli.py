"""The ``qframe`` command line. Heavy work is imported inside each command to keep start-up fast."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qframe.commands.data_commands import data
from qframe.commands.machine_commands import doctor, list_runs, say_if_died, tasks
from qframe.plugin_api.errors import BadInputError, QframeError
from qframe.plugin_api.plugins import PluginHost, get_host, strict_from_env


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


cli.add_command(doctor)
cli.add_command(list_runs)
cli.add_command(data)
cli.add_command(tasks)


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
    from qframe.commands.demo import demo_config
    from qframe.config import check_references, load_experiment, structure_experiment
    from qframe.run.preparation import prepare
    from qframe.run.session import new_session

    if config is None:
        experiment = structure_experiment(demo_config(host))
        check_references(experiment, host)
    else:
        experiment = load_experiment(config, host)
    experiment, tasks = prepare(experiment, host)
    session = new_session(experiment, host, output_dir, run_id, tasks)
    click.echo(f"run directory: {session.path}", err=True)
    _finish(session, no_progress)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--executor", help="Run the missing items on this executor instead of the run's own (e.g. local).")
@_progress_option
@click.pass_obj
def resume(host: PluginHost, run_dir: Path, executor: str | None, no_progress: bool) -> None:
    """Finish an interrupted run: only the missing or failed items are run."""
    from qframe.run.session import open_session, use_executor

    session = open_session(run_dir, host)
    say_if_died(session)
    if executor is not None:
        use_executor(session, executor)
    _finish(session, no_progress)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.pass_obj
def rescore(host: PluginHost, run_dir: Path) -> None:
    """Recompute every score from stored generations (no generation)."""
    import asyncio

    from qframe.run.session import load_tasks, open_session, render_reports
    from qframe.run.stages import metrics_by_task, run_scoring, scoring_items
    from qframe.run.writer import writing

    session = open_session(run_dir, host)
    with writing(session, "rescore"):
        samples, _, defaults = load_tasks(session)
        items = scoring_items(session.experiment, samples, session.store.read("generations").to_pylist())
        metrics = metrics_by_task(session.experiment, defaults, host)
        written = asyncio.run(run_scoring(session.experiment, host, session.store, items, metrics, redo=True))
        click.echo(f"{written} scores written", err=True)
        for path in render_reports(session):
            click.echo(f"report: {path}")


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--judge", "judge_id", required=True, help="Judge id: a [judges.NAME] table of the run, or a new name.")
@click.option("--plugin", help="Judge plugin of a judge the run's config does not have (e.g. llm, regex_refusal).")
@click.option("--backend", help="Backend of the new judge's model.")
@click.option("--model", help="Model of the new judge.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="Option of the new judge (TOML value).")
@click.option("--redo", is_flag=True, help="Judge every item again, not only those without a verdict.")
@click.pass_obj
def rejudge(
    host: PluginHost,
    run_dir: Path,
    judge_id: str,
    plugin: str | None,
    backend: str | None,
    model: str | None,
    options: tuple[str, ...],
    redo: bool,
) -> None:
    """Add verdicts of one judge to a stored run (no generation) and show its agreement with the others."""
    from qframe.run.session import open_session
    from qframe.run.writer import writing

    session = open_session(run_dir, host)
    with writing(session, "rejudge"):
        _rejudge(session, host, judge_id, plugin, backend, model, options, redo)


def _rejudge(session, host: PluginHost, judge_id: str, plugin, backend, model, options, redo: bool) -> None:
    """The work of ``rejudge``, done while the run's lock is held."""
    import asyncio

    from qframe.commands.rejudge import (
        agreement_table,
        items_to_judge,
        label_counts,
        parse_option,
        prepare_judge,
        record_config,
        refusal_gap_table,
    )
    from qframe.run.session import load_tasks, render_reports
    from qframe.run.stages import run_judging, scoring_items

    added = prepare_judge(session, judge_id, plugin, backend, model, dict(parse_option(o) for o in options))
    samples, _, _ = load_tasks(session)
    items = scoring_items(session.experiment, samples, session.store.read("generations").to_pylist())
    todo = items_to_judge(items, session.store.read("verdicts").to_pylist(), judge_id, redo)
    written = asyncio.run(
        run_judging(session.experiment, host, session.store, todo, session.backend_for, judge_ids=[judge_id], redo=True)
    )
    if added:
        record_config(session)
    verdicts = session.store.read("verdicts").to_pylist()
    click.echo(f"judge {judge_id}: {written} verdicts written; labels: {label_counts(verdicts, judge_id)}", err=True)
    for line in [*agreement_table(verdicts, judge_id), *refusal_gap_table(verdicts, judge_id)]:
        click.echo(line)
    for path in render_reports(session):
        click.echo(f"report: {path}")


@cli.command("judge-check")
@click.argument("labelled_file", type=click.Path(path_type=Path))
@click.option("--judge", "judge_id", required=True, help="Judge id: of --config, or a new name (or a plugin name).")
@click.option("--config", type=click.Path(path_type=Path), help="Experiment config whose [judges.ID] table to use.")
@click.option("--plugin", help="Judge plugin (default: the judge id), e.g. llm, regex_refusal.")
@click.option("--backend", help="Backend of the judge's model.")
@click.option("--model", help="Model of the judge.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="Option of the judge (TOML value).")
@click.option("--category", default="harmful", show_default=True, help="Item category for rows without one.")
@click.pass_obj
def judge_check(
    host: PluginHost,
    labelled_file: Path,
    judge_id: str,
    config: Path | None,
    plugin: str | None,
    backend: str | None,
    model: str | None,
    options: tuple[str, ...],
    category: str,
) -> None:
    """Run a judge over labelled (prompt, response, label) rows and report its agreement with the labels."""
    import asyncio

    from qframe.commands.judge_check import (
        compare,
        judge_section,
        labelled_items,
        read_labelled,
        report_lines,
        run_judge,
    )
    from qframe.commands.rejudge import parse_option

    section = judge_section(host, judge_id, config, plugin, backend, model, dict(parse_option(o) for o in options))
    rows = read_labelled(labelled_file, category)
    verdicts = asyncio.run(run_judge(host, judge_id, section, labelled_items(rows)))
    for line in report_lines(compare(rows, verdicts, judge_id), labelled_file):
        click.echo(line)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.pass_obj
def report(host: PluginHost, run_dir: Path) -> None:
    """Re-render the reports of a stored run."""
    from qframe.run.session import open_session, render_reports
    from qframe.run.writer import writing

    session = open_session(run_dir, host)
    say_if_died(session)
    with writing(session, "report"):
        for path in render_reports(session):
            click.echo(f"report: {path}")
        session.save()
    if session.manifest["status"] != "complete":
        click.echo(f"run status: {session.manifest['status']}; finish it with: qframe resume {run_dir}", err=True)


@cli.command()
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--pair", "pairs", multiple=True, metavar="A:B", help="Compare variant A of RUN_A with B of RUN_B.")
@click.pass_obj
def compare(host: PluginHost, run_a: Path, run_b: Path, pairs: tuple[str, ...]) -> None:
    """Paired comparison of two runs on the items they share (deltas are RUN_B - RUN_A)."""
    from qframe.analysis.cross_run import compare_runs
    from qframe.analysis.data import RunData
    from qframe.plugin_api.errors import ConfigError
    from qframe.run.session import open_session

    first, second = open_session(run_a, host), open_session(run_b, host)
    parsed = []
    for pair in pairs:
        if pair.count(":") != 1:
            raise ConfigError(f"--pair: expected VARIANT_A:VARIANT_B, got {pair!r}")
        parsed.append(tuple(pair.split(":")))
    try:
        rows = compare_runs(
            RunData.from_store(first.store, first.manifest),
            RunData.from_store(second.store, second.manifest),
            first.experiment.analysis,
            parsed or None,
            seed=first.experiment.experiment.seed,
        )
    except ValueError as exc:
        raise ConfigError(f"--pair: {exc}") from None
    if not rows:
        click.echo("no shared items with a common metric", err=True)
        return
    click.echo(f"{'A':<14} {'B':<14} {'task/metric':<32} {'n':>5} {'A mean':>8} {'B mean':>8} {'delta':>8} {'95% CI':>19} {'p (Holm)':>9}")
    for row in rows:
        ci = f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]"
        click.echo(
            f"{row['baseline']:<14} {row['variant']:<14} {row['task'] + '/' + row['metric']:<32} {row['n']:>5} "
            f"{row['base_mean']:>8.3f} {row['variant_mean']:>8.3f} {row['delta']:>+8.3f} {ci:>19} {row['p_holm']:>9.3g}"
        )


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="File to write (default: standard output).")
@click.pass_obj
def export(host: PluginHost, run_dir: Path, fmt: str, out: Path | None) -> None:
    """Export the decision matrix (one row per variant) as CSV or JSON."""
    from qframe.commands.export import cells_as_csv, cells_as_json
    from qframe.run.session import analyse, open_session

    cells = analyse(open_session(run_dir, host))["cells"]
    content = cells_as_csv(cells) if fmt == "csv" else cells_as_json(cells)
    if out is None:
        click.echo(content, nl=False)
    else:
        out.write_text(content)
        click.echo(f"wrote {out}", err=True)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--memory-gb", type=float, help="Memory budget: the variant's estimate (else file size) must fit.")
@click.option("--min-quality-tier", type=click.Choice(["negligible", "acceptable", "concerning", "unacceptable"]),
              default="acceptable", show_default=True)
@click.option("--min-tokens-per-s", type=float, help="Lowest native decode rate.")
@click.option("--safety", type=click.Choice(["any", "no-hidden-danger", "no-near-hidden-danger"]),
              default="no-hidden-danger", show_default=True)
@click.option("--supported-only", is_flag=True, help="Count a tier or regime only when its CI supports it.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def recommend(host: PluginHost, run_dir: Path, memory_gb: float | None, min_quality_tier: str,
              min_tokens_per_s: float | None, safety: str, supported_only: bool, fmt: str) -> None:
    """Best variant under constraints, the runner-up, and why each other was excluded.

    Exit 0 with an answer, 4 with a provisional answer (the evidence it rests on is
    inconclusive), 3 when no variant meets the constraints, 2 on bad input."""
    import json

    from qframe.analysis.recommend import Constraints, recommendation_lines
    from qframe.analysis.recommend import recommend as choose
    from qframe.run.session import analyse, open_session

    try:
        constraints = Constraints(memory_gb, min_quality_tier, min_tokens_per_s, safety, supported_only)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    result = choose(analyse(open_session(run_dir, host)), constraints)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, default=str))
    else:
        click.echo("\n".join(recommendation_lines(result)))
    sys.exit(3 if result.best is None else 4 if result.provisional else 0)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--candidate", required=True, help="Variant id (or quant label) to gate against its baseline.")
@click.option("--margin-pp", type=float, help="Equivalence / non-inferiority margin (default: the run's analysis margin).")
@click.option("--require", "requires", multiple=True, type=click.Choice(["equivalent", "non-inferior", "not-hidden-danger"]),
              help="Check to pass (repeatable; default non-inferior).")
@click.option("--junit", type=click.Path(path_type=Path), help="JUnit XML file (default RUN_DIR/gate-CANDIDATE.xml).")
@click.option("--summary", type=click.Path(path_type=Path), help="Markdown summary (default RUN_DIR/gate-CANDIDATE.md).")
@click.pass_obj
def gate(host: PluginHost, run_dir: Path, candidate: str, margin_pp: float | None, requires: tuple[str, ...],
         junit: Path | None, summary: Path | None) -> None:
    """Pass/fail a candidate quant against its baseline for CI.

    Exit 0 pass, 1 fail, 4 inconclusive (too few items: says how many would decide), 2 on bad input."""
    from qframe.analysis.gate import gate as run_gate
    from qframe.commands.gate_report import markdown_summary, write_gate_files
    from qframe.run.session import analyse, open_session

    session = open_session(run_dir, host)
    margin = margin_pp if margin_pp is not None else session.experiment.analysis.equivalence_margin_pp
    result = run_gate(analyse(session), candidate, requires, margin)
    safe_name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in result.candidate)
    junit = junit or session.path / f"gate-{safe_name}.xml"
    summary = summary or session.path / f"gate-{safe_name}.md"
    write_gate_files(result, junit, summary)
    click.echo(markdown_summary(result), nl=False)
    click.echo(f"junit: {junit}\nsummary: {summary}", err=True)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.pass_obj
def validate(host: PluginHost, config: Path) -> None:
    """Check a config without running it: structure, plugins, data files and model files."""
    from qframe.config import load_experiment
    from qframe.run.preparation import describe, prepare

    experiment, tasks = prepare(load_experiment(config, host), host)
    for line in describe(experiment, tasks):
        click.echo(line)


@cli.command()
@click.argument("config", required=False, type=click.Path(path_type=Path))
@click.option("--baseline-rate", type=float, required=True, help="Expected baseline accuracy (0-1).")
@click.option("--mde-pp", type=float, required=True, help="Smallest change to detect, in percentage points.")
@click.option("--discordance", type=float, help="Expected share of items the arms disagree on (default: 2p(1-p)).")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Two-sided significance level.")
@click.option("--power", "power_", type=float, default=0.8, show_default=True, help="Power to detect the change.")
@click.pass_obj
def power(host: PluginHost, config: Path | None, baseline_rate: float, mde_pp: float, discordance: float | None,
          alpha: float, power_: float) -> None:
    """Paired items needed to detect a change; with CONFIG, compared with each of its tasks."""
    from qframe.commands.power import TaskSupply, describe, plan
    from qframe.plugin_api.errors import ConfigError

    try:
        result = plan(baseline_rate, mde_pp, discordance, alpha, power_)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    supplies = []
    if config is not None:
        from qframe.config import load_experiment

        experiment = load_experiment(config, host)
        for index, section in enumerate(experiment.tasks):
            task = host.get("tasks", section.name, where=f"tasks[{index}].name").factory(section.options)
            items = len(task.samples(section.limit, experiment.experiment.seed))
            supplies.append(TaskSupply(section.task_id, items, result.items))
    for line in describe(result, supplies):
        click.echo(line)


@cli.command()
@click.pass_obj
@click.option("--check", is_flag=True, help="Also check that every registration resolves; exit 1 on any problem.")
def plugins(host: PluginHost, check: bool) -> None:
    """List installed plugins: distribution, version and what each registers."""
    if check:
        _check_plugins(host)
        return
    for plugin in sorted(host.plugins.values(), key=lambda p: p.distribution):
        provides = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in plugin.provides.items())
        click.echo(f"{plugin.distribution} {plugin.version}  {provides or '(commands only)'}")
    for failure in host.failures:
        click.echo(f"{failure.distribution} BROKEN  {failure.error}")


@cli.command("new-plugin")
@click.argument("kind", type=click.Choice(["backend", "task", "metric", "judge"]))
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="Folder to create the package in.")
def new_plugin(kind: str, name: str, directory: Path) -> None:
    """Write a ready plugin package qframe-NAME: entry point, skeleton and conformance tests."""
    from qframe.commands.new_plugin import new_plugin as write_package

    root = write_package(kind, name, directory)
    click.echo(f"wrote {root}; fill in src/ and run: pip install -e {root} && pytest {root / 'tests'}")


def _check_plugins(host: PluginHost) -> None:
    from qframe.commands.plugin_check import check_plugins

    reports = check_plugins(host)
    for report in reports:
        click.echo(f"{report.distribution} {report.version} (entry point {report.entry_point}): "
                   f"{'ok' if not report.problems else 'PROBLEMS'}")
        for line in report.registrations:
            click.echo(f"  {line}")
        for problem in report.problems:
            click.echo(f"  problem: {problem}")
    problems = sum(len(report.problems) for report in reports)
    click.echo(f"{len(reports)} plugins checked, {problems} problems", err=True)
    if problems:
        sys.exit(1)


def _finish(session, no_progress: bool) -> None:
    import asyncio

    from qframe.run.session import execute

    outcome = asyncio.run(execute(session, progress=not no_progress))
    for path in outcome.reports:
        click.echo(f"report: {path}")
    status = session.manifest["status"]
    click.echo(f"{status}: {outcome.completed} items run, {outcome.errors} errors stored in {session.path}", err=True)
    if outcome.exit_code:
        if status == "interrupted":
            click.echo(f"interrupted; continue with: qframe resume {session.path}", err=True)
            _exit_without_waiting(outcome.exit_code)
        sys.exit(outcome.exit_code)


def _exit_without_waiting(code: int) -> None:
    """Exit an interrupted run now, even while a worker thread is stuck in a native call.

    Everything is already saved (rows flushed, manifest ``interrupted``); a normal exit would
    wait for that call or tear down the native library under it (a crash at exit).
    """
    import os
    import threading

    if threading.active_count() > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _add_plugin_commands() -> None:
    host = get_host()
    for hookimpl in host.manager.hook.qframe_register_commands.get_hookimpls():
        try:
            hookimpl.function(cli=cli)
        except Exception as exc:  # a broken command must not take the CLI down
            from qframe.plugin_api.plugins import PluginFailure

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
