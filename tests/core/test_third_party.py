"""A third-party backend package, installed like any other, is discovered and usable by name."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit.suite_run import assert_package_tests_pass, install_into

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plugins"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Install the example and the broken packages into a private site folder."""
    target = tmp_path_factory.mktemp("site")
    for package in ("qframe-example-backend", "qframe-broken-example", "qframe-unresolved-example"):
        install_into(target, FIXTURES / package)
    return target


def _qframe(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run([sys.executable, "-m", "qframe", *args], env=env, cwd=cwd, capture_output=True, text=True)


def test_example_backend_is_listed_beside_a_broken_plugin(site, tmp_path):
    result = _qframe(site, "plugins", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "qframe-example-backend 1.2.3  backends: exq" in result.stdout
    assert "qframe-mock" in result.stdout
    assert "qframe-broken-example BROKEN" in result.stdout
    assert "qframe_dependency_that_does_not_exist" in result.stderr


def test_example_backend_runs_by_name(site, tmp_path):
    config = tmp_path / "exq.toml"
    config.write_text(
        '[experiment]\nname = "exq"\nmax_tokens = 8\n'
        '[ladder]\nbackend = "exq"\nmodel = "toy-{quant}"\nquants = ["EXQ8", "EXQ4"]\n'
        '[[tasks]]\nname = "mock"\nlimit = 5\n'
    )
    result = _qframe(site, "run", str(config), "--run-id", "r", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())
    assert manifest["variants"]["EXQ4"]["engine"] == "exq 1.2.3"
    assert manifest["plugins"]["qframe-example-backend"] == "1.2.3"
    assert manifest["counts"] == {"items": 10, "errors": 0}


def test_strict_mode_refuses_to_start_with_the_broken_plugin(site, tmp_path):
    result = _qframe(site, "--strict", "plugins", cwd=tmp_path)
    assert result.returncode == 2
    assert "qframe-broken-example" in result.stderr


def test_plugins_check_reports_every_problem_and_exits_1(site, tmp_path):
    result = _qframe(site, "plugins", "--check", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "qframe-example-backend 1.2.3 (entry point exq): ok" in out
    assert "  backend exq -> qframe_example_backend.backend:ExqBackend" in out
    assert "qframe-unresolved-example 0.0.2 (entry point unresolved): PROBLEMS" in out
    assert "backend 'ghost': factory target qframe_unresolved_example.engine:GhostBackend does not resolve" in out
    assert "hook qframe_register_metric matches no hook spec" in out
    assert "qframe-broken-example ? (entry point broken): PROBLEMS" in out
    assert "failed to load: ModuleNotFoundError" in out
    assert "problems" in result.stderr


def test_plugins_check_passes_for_a_clean_install(cli):
    code, out, err = cli("plugins", "--check")
    assert code == 0, out + err
    assert "qframe-mock 0.1.0 (entry point mock): ok" in out
    assert "  backend mock -> qframe_mock.backend:MockBackend" in out
    assert " 0 problems" in err


def test_installed_example_passes_its_own_conformance_suite(site, tmp_path):
    # A copy outside this repository, so only the installed package and qframe.testing are in play.
    shutil.copytree(FIXTURES / "qframe-example-backend" / "tests", tmp_path / "tests")
    assert_package_tests_pass(tmp_path, site)
