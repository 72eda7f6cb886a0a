"""Variants that are the same model (one weights digest) run once; the analysis and the reports
show the second as an alias of the first."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from qframe.plugin_api.hookspecs import hookimpl
from qframe_mock.backend import MockBackend

TWINS = {"tiny-Q3_K_S": "same-weights", "tiny-Q2_K": "same-weights"}


class TwinBackend(MockBackend):
    """The mock backend, plus a weights digest in which Q3_K_S and Q2_K are one model; counts opens."""

    opened: Counter = Counter()

    async def weights_digest(self) -> str:
        return TWINS.get(self.model, self.model)

    async def open(self):
        type(self).opened[self.model] += 1
        return await super().open()


class TwinPlugin:
    @hookimpl
    def qframe_register_backends(self, register):
        register("twins", TwinBackend)


@pytest.fixture
def twins(host):
    TwinBackend.opened = Counter()
    host.add_plugin(TwinPlugin(), "twins", "qframe-twins-test", "0")
    return host


def ladder(quants, **schedule):
    config = {
        "experiment": {"name": "twins", "max_tokens": 16, "warmup": 0},
        "ladder": {"backend": "twins", "model": "tiny-{quant}", "quants": quants, "baseline": "F16"},
        "tasks": [{"name": "mock", "limit": 40}],
    }
    if schedule:
        config["schedule"] = schedule
    return config


def test_a_variant_with_its_twins_weights_runs_nothing_and_reports_as_its_alias(twins, run_experiment):
    session, outcome = run_experiment(twins, ladder(["F16", "Q4_K_M", "Q3_K_S", "Q2_K"]))

    assert outcome.exit_code == 0
    assert session.manifest["aliases"] == {"Q2_K": "Q3_K_S"}
    assert TwinBackend.opened["tiny-Q2_K"] == 0 and TwinBackend.opened["tiny-Q3_K_S"] == 1
    rows = session.store.read("generations").to_pylist()
    assert {row["variant"] for row in rows} == {"F16", "Q4_K_M", "Q3_K_S"}
    entry = session.manifest["variants"]["Q2_K"]
    assert entry["alias_of"] == "Q3_K_S" and entry["digest"] == session.manifest["variants"]["Q3_K_S"]["digest"]

    from qframe.run.session import analyse

    analysis = analyse(session)
    cells = {cell["variant"]: cell for cell in analysis["cells"]}
    assert cells["Q2_K"]["alias_of"] == "Q3_K_S"
    assert cells["Q2_K"]["benchmark_accuracy"] == cells["Q3_K_S"]["benchmark_accuracy"]
    assert cells["Q2_K"]["items"] == cells["Q3_K_S"]["items"] == 40
    note = "Q2_K is identical to Q3_K_S for this model (the same weights): it was evaluated once"
    assert any(line.startswith(note) for line in analysis["variant_notes"])
    assert note in (session.path / "report.md").read_text()
    assert note in (session.path / "report.html").read_text()


def test_the_baseline_is_never_the_alias(twins, run_experiment):
    TWINS["tiny-F16"] = "same-weights"
    try:
        session, _ = run_experiment(twins, ladder(["F16", "Q3_K_S"]))
    finally:
        del TWINS["tiny-F16"]
    assert session.manifest["aliases"] == {"Q3_K_S": "F16"}


def test_a_run_that_stops_when_decided_draws_only_the_evaluated_variants(twins, run_experiment):
    session, outcome = run_experiment(
        twins, ladder(["F16", "Q3_K_S", "Q2_K"], mode="round_robin", stop="decided", block_size=20)
    )
    assert outcome.exit_code == 0 and session.manifest["aliases"] == {"Q2_K": "Q3_K_S"}
    assert "Q2_K" not in {row["variant"] for row in session.store.read("generations").to_pylist()}


def test_a_resumed_run_that_already_holds_rows_keeps_every_variant(twins, tmp_path, monkeypatch):
    import asyncio

    from qframe.config import structure_experiment
    from qframe.run.session import execute, new_session, open_session

    weights_digest = TwinBackend.weights_digest
    monkeypatch.delattr(TwinBackend, "weights_digest")  # a run made before variants could alias
    session = new_session(structure_experiment(ladder(["F16", "Q3_K_S", "Q2_K"])), twins, tmp_path / "runs", "r")
    asyncio.run(execute(session, progress=False))
    manifest_path = session.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["aliases"]
    manifest["status"] = "interrupted"
    manifest_path.write_text(json.dumps(manifest))
    monkeypatch.setattr(TwinBackend, "weights_digest", weights_digest, raising=False)

    reopened = open_session(session.path, twins)
    outcome = asyncio.run(execute(reopened, progress=False))
    assert outcome.exit_code == 0 and reopened.manifest["aliases"] == {}
    assert "Q2_K" in {row["variant"] for row in reopened.store.read("generations").to_pylist()}
