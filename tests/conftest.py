"""Shared fixtures: a loaded plugin host, config writing and in-process CLI calls."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

from qframe.config import structure_experiment
from qframe.plugin_api.plugins import PluginHost, reset_host
from qframe.run.session import Outcome, execute, new_session

ROOT = Path(__file__).resolve().parents[1]

# Fixture packages carry their own tests, run against their installed copy (tests/core/test_third_party.py).
collect_ignore = ["fixtures"]

MOCK_LADDER = """
[experiment]
name = "mock-ladder"
seed = 42
max_tokens = 32

[ladder]
backend = "mock"
model = "tiny-{quant}"
quants = ["F16", "Q8_0", "Q4_K_M", "Q2_K"]
baseline = "F16"

[[tasks]]
name = "mock"
limit = 200
"""


@pytest.fixture
def host() -> PluginHost:
    loaded = PluginHost()
    loaded.load_entry_points()
    return loaded


@pytest.fixture
def write_config(tmp_path: Path):
    def write(text: str, name: str = "experiment.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def run_experiment(tmp_path: Path):
    """Run a config dict in-process; returns (session, outcome)."""

    def run(host: PluginHost, config: dict, run_id: str = "run") -> tuple[object, Outcome]:
        session = new_session(structure_experiment(config), host, tmp_path / "runs", run_id)
        return session, asyncio.run(execute(session, progress=False))

    return run


@pytest.fixture
def cli(monkeypatch, capsys):
    """Call ``qframe`` in-process: returns (exit code, stdout, stderr)."""

    def call(*args: str) -> tuple[int, str, str]:
        from qframe import cli as cli_module

        reset_host()
        monkeypatch.setattr(sys, "argv", ["qframe", *args])
        code = 0
        try:
            cli_module.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    yield call
    reset_host()


@pytest.fixture(scope="session")
def smollm2_f16() -> Path:
    """The F16 rung of the cached SmolLM2 demo ladder (built on first use, then hash-verified)."""
    from qframe.data.cache import cache_dir
    from qframe_llamacpp.demo import DEMO_QUANTS, smollm2_source
    from qframe_llamacpp.ladder import build_ladder

    rungs = build_ladder(smollm2_source(), DEMO_QUANTS, cache_dir() / "demo" / "smollm2", log=lambda _: None)
    return next(rung.path for rung in rungs if rung.quant == "F16")
