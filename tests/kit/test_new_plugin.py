"""``qframe new-plugin`` writes a package that installs, and once filled in passes the conformance suite."""

from __future__ import annotations

import asyncio
import importlib.util
import tomllib
from pathlib import Path

import pytest

from tests.kit.suite_run import assert_package_tests_pass, install_into

from qframe.plugin_api.protocols import BackendSpec

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "plugins" / "qframe-example-backend"


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_skeleton_methods_say_they_are_not_implemented(cli, tmp_path: Path) -> None:
    code, out, _ = cli("new-plugin", "backend", "toyq", "--dir", str(tmp_path))
    assert code == 0 and "qframe-toyq" in out
    root = tmp_path / "qframe-toyq"
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["qframe"] == {"toyq": "qframe_toyq.plugin"}
    backend = _load(root / "src" / "qframe_toyq" / "backend.py", "toyq_backend").ToyqBackend(BackendSpec("toyq", "m"))
    with pytest.raises(
        NotImplementedError, match=r"ToyqBackend.open is not implemented yet: write it in src/qframe_toyq/backend.py"
    ):
        asyncio.run(backend.open())


@pytest.mark.parametrize("kind", ["task", "metric", "judge"])
def test_other_kinds_write_their_skeleton_and_suite(cli, tmp_path: Path, kind: str) -> None:
    code, _, _ = cli("new-plugin", kind, "my_thing", "--dir", str(tmp_path))
    root = tmp_path / "qframe-my-thing"
    assert code == 0
    plugin = (root / "src" / "qframe_my_thing" / "plugin.py").read_text()
    assert f'lazy("qframe_my_thing.{kind}:MyThing{kind.capitalize()}")' in plugin
    assert f"{kind.capitalize()}Conformance" in (root / "tests" / "test_conformance.py").read_text()
    compile((root / "src" / "qframe_my_thing" / f"{kind}.py").read_text(), kind, "exec")


def test_bad_names_and_existing_folders_are_refused(cli, tmp_path: Path) -> None:
    assert cli("new-plugin", "backend", "Bad-Name", "--dir", str(tmp_path))[0] == 2
    assert cli("new-plugin", "backend", "ok", "--dir", str(tmp_path))[0] == 0
    code, _, err = cli("new-plugin", "backend", "ok", "--dir", str(tmp_path))
    assert code == 2 and "already exists" in err


def test_filled_in_package_installs_and_passes_the_suite(cli, tmp_path: Path) -> None:
    assert cli("new-plugin", "backend", "toyq", "--dir", str(tmp_path))[0] == 0
    root = tmp_path / "qframe-toyq"
    toy = (EXAMPLE / "src" / "qframe_example_backend" / "backend.py").read_text()
    (root / "src" / "qframe_toyq" / "backend.py").write_text(toy.replace("ExqBackend", "ToyqBackend"))
    tests = root / "tests" / "test_conformance.py"
    text = tests.read_text()
    text = text.replace('"TODO: a small model your backend can open"', '"toy-A"')
    text = text.replace('"TODO: a second model with different weights"', '"toy-B"')
    text = text.replace("# transient_options = {...}", 'transient_options = {"simulate_outage": True}  #')
    tests.write_text(text)
    site = tmp_path / "site"
    install_into(site, root)
    assert_package_tests_pass(root, site)
