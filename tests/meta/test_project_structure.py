"""Meta-tests: every hook is tested and documented; registry.toml matches the plugins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from qframe.plugin_api import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name in vars(hookspecs) if name.startswith("qframe_"))
REGISTRY = tomllib.loads((ROOT / "registry.toml").read_text())["plugin"]


def _test_sources() -> str:
    this = Path(__file__).resolve()
    return "\n".join(p.read_text() for p in (ROOT / "tests").rglob("*.py") if p.resolve() != this)


def test_hookspecs_are_found():
    assert "qframe_register_backends" in HOOKS and len(HOOKS) >= 8


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    assert hook in _test_sources(), f"no test mentions {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    docs = (ROOT / "docs" / "hooks.md").read_text()
    assert re.search(rf"^## `{hook}`", docs, re.MULTILINE), f"docs/hooks.md has no section for {hook}"


def test_every_plugin_folder_is_in_the_registry():
    folders = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "plugins").glob("*/*/pyproject.toml")}
    assert folders == {entry["path"] for entry in REGISTRY}


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e["name"])
def test_registry_matches_the_plugin_pyproject(entry):
    project = tomllib.loads((ROOT / entry["path"] / "pyproject.toml").read_text())["project"]
    assert project["name"] == entry["distribution"]
    assert project["entry-points"]["qframe"] == {entry["name"]: entry["entry_point"]}


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e["name"])
def test_registry_matches_what_the_plugin_registers(entry, host):
    loaded = host.plugins[entry["name"]]
    assert loaded.distribution == entry["distribution"]
    assert loaded.provides == {kind: sorted(names) for kind, names in entry["registers"].items()}
