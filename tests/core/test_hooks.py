"""Each hook, exercised through a test plugin: what it registers is used by a real run."""

from __future__ import annotations

import asyncio
import json

import click

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.protocols import Verdict
from qframe.run.session import execute, open_session, render_reports

CONFIG = {
    "experiment": {"name": "hooks", "max_tokens": 8, "warmup": 0},
    "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": ["F16", "Q2_K"]},
    "tasks": [{"name": "mock", "limit": 6}],
    "metrics": ["answer_length"],
    "judges": {"lengthy": {"plugin": "length-judge", "backend": "mock", "model": "judge-model", "options": {"cut": 3}}},
    "classifiers": [{"name": "error-free", "options": {"label": "clean"}}],
    "reports": ["json-dump"],
}


class AnswerLength:
    name = "answer_length"
    params = {"unit": "words"}

    def __init__(self, options):
        pass

    def score(self, items):
        return [float(len(item.text.split())) for item in items]


class LengthJudge:
    name = "length-judge"

    def __init__(self, config, provider):
        self.cut = config["cut"]
        self.backend = provider  # a judge can build any registered backend through core
        self.model = config["model"]

    async def judge(self, items):
        from qframe.plugin_api.protocols import BackendSpec

        backend = self.backend(BackendSpec("mock", self.model))
        info = await backend.open()
        return [
            Verdict("long" if len(i.text.split()) > self.cut else "short", i.text, info.model, info.digest)
            for i in items
        ]


class ErrorFree:
    name = "error-free"

    def __init__(self, options):
        self.label = options["label"]

    def classify(self, cells):
        return [{"hygiene": self.label if cell["errors"] == 0 else "dirty"} for cell in cells]


class JsonDump:
    name = "json-dump"

    def __init__(self, options):
        pass

    def render(self, run, analysis):
        path = run.path / "cells.json"
        path.write_text(json.dumps(analysis["cells"], default=str))
        return [path]


class HookPlugin:
    @hookimpl
    def qframe_register_metrics(self, register):
        register("answer_length", AnswerLength)

    @hookimpl
    def qframe_register_judges(self, register):
        register("length-judge", LengthJudge)

    @hookimpl
    def qframe_register_classifiers(self, register):
        register("error-free", ErrorFree)

    @hookimpl
    def qframe_register_reporters(self, register):
        register("json-dump", JsonDump)

    @hookimpl
    def qframe_register_stores(self, register):
        from qframe_store_arrow.store import ArrowRunStore

        class CountingStore(ArrowRunStore):
            appended = 0

            def append(self, table, rows):
                CountingStore.appended += len(rows)
                super().append(table, rows)

        HookPlugin.store_class = CountingStore
        register("counting-store", CountingStore)

    @hookimpl
    def qframe_register_commands(self, cli):
        @cli.command(name="hello-hooks")
        def hello():
            click.echo("hello from a plugin command")

    @hookimpl
    def qframe_register_checks(self, register):
        from qframe.plugin_api.protocols import CheckReport

        register("hook-engine", lambda: CheckReport({"build": "hook 1.0"}, ("hook-engine: kernels missing; rebuild",)))

    @hookimpl(tryfirst=True)
    def qframe_demo_experiment(self, work_dir):
        return CONFIG | {"experiment": CONFIG["experiment"] | {"name": "hook-demo", "output_dir": str(work_dir)}}


def _host(host):
    host.add_plugin(HookPlugin(), "hook-plugin", "qframe-hook-test", "0.0")
    return host


def test_registered_metric_judge_classifier_reporter_and_store_are_used(host, run_experiment):
    config = CONFIG | {"store": {"name": "counting-store"}}
    session, outcome = run_experiment(_host(host), config)
    assert outcome.exit_code == 0
    assert HookPlugin.store_class.appended >= 12
    scores = [s for s in session.store.read("scores").to_pylist() if s["metric"] == "answer_length"]
    assert len(scores) == 12 and all(s["metric"] == "answer_length" and s["value"] >= 1 for s in scores)
    assert json.loads(scores[0]["params"]) == {"unit": "words"}
    verdicts = session.store.read("verdicts").to_pylist()
    assert len(verdicts) == 12 and {v["label"] for v in verdicts} <= {"long", "short"}
    assert verdicts[0]["judge"] == "lengthy" and verdicts[0]["judge_model"] == "judge-model"
    cells = json.loads((session.path / "cells.json").read_text())
    assert [c["hygiene"] for c in cells] == ["clean", "clean"]
    assert cells[0]["mean:mock/answer_length"] >= 1
    assert [str(p) for p in outcome.reports] == [str(session.path / "cells.json")]


def test_scoring_and_judging_run_only_for_missing_keys(host, run_experiment):
    session, _ = run_experiment(_host(host), CONFIG)
    before = session.store.read("scores").num_rows
    parts = {table: len(list((session.path / table).glob("part-*.parquet"))) for table in ("scores", "verdicts")}
    asyncio.run(execute(open_session(session.path, host), progress=False))
    assert session.store.read("scores").num_rows == before
    after = {table: len(list((session.path / table).glob("part-*.parquet"))) for table in ("scores", "verdicts")}
    assert after == parts  # nothing was scored or judged twice
    assert render_reports(open_session(session.path, host))


def test_plugin_command_and_demo_hook(cli, monkeypatch, tmp_path):
    import qframe.plugin_api.plugins as plugins

    original = plugins.PluginHost.load_entry_points

    def with_hooks(self, entry_points=None, disabled=None):
        original(self, entry_points, disabled)
        self.add_plugin(HookPlugin(), "hook-plugin", "qframe-hook-test", "0.0")

    monkeypatch.setattr(plugins.PluginHost, "load_entry_points", with_hooks)
    monkeypatch.setenv("QFRAME_CACHE_DIR", str(tmp_path))
    code, out, _ = cli("hello-hooks")
    assert code == 0 and "hello from a plugin command" in out
    code, out, err = cli("run", "--no-progress", "--run-id", "demo")
    assert code == 0, err
    assert (tmp_path / "demo" / "demo" / "cells.json").exists()


def test_a_registered_check_is_run_by_doctor_and_its_failure_exits_1(cli, monkeypatch):
    import qframe.plugin_api.plugins as plugins

    original = plugins.PluginHost.load_entry_points

    def with_hooks(self, entry_points=None, disabled=None):
        original(self, entry_points, disabled)
        self.add_plugin(HookPlugin(), "hook-plugin", "qframe-hook-test", "0.0")

    monkeypatch.setattr(plugins.PluginHost, "load_entry_points", with_hooks)
    code, out, err = cli("doctor", "--check", "hook-engine")
    assert code == 1
    assert "hook-engine: FAILED" in out and "  build: hook 1.0" in out
    assert err.strip() == "qframe doctor: hook-engine: kernels missing; rebuild"
    code, out, err = cli("doctor", "--check", "no-such-engine")
    assert code == 2 and "no-such-engine" in err


def test_resume_asks_a_judge_again_where_it_could_not_be_asked(host, run_experiment):
    session, _ = run_experiment(_host(host), CONFIG)
    first = session.store.read("verdicts").to_pylist()[0]
    session.store.append("verdicts", [first | {"label": "error", "raw": ""}])
    assert session.store.read("verdicts").to_pylist()[-1]["label"] == "error"
    asyncio.run(execute(open_session(session.path, host), progress=False))
    labels = {(v["variant"], v["sample_id"]): v["label"] for v in session.store.read("verdicts").to_pylist()}
    assert labels[(first["variant"], first["sample_id"])] in {"long", "short"}
