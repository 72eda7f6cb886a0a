"""qframe.testing is a pytest plugin for any package, and core never imports pytest on its own."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata


def test_core_start_up_does_not_import_pytest() -> None:
    code = (
        "import sys; from qframe.cli import cli; from qframe.plugin_api.plugins import get_host; get_host(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_pytest11_entry_point_names_the_plugin_module() -> None:
    [entry_point] = [ep for ep in metadata.entry_points(group="pytest11") if ep.name == "qframe"]
    assert entry_point.value == "qframe.testing.plugin"


def test_qframe_host_fixture_holds_the_installed_plugins(qframe_host) -> None:
    assert qframe_host.has("backends", "mock") and qframe_host.get("backends", "mock").distribution == "qframe-mock"


def test_the_testing_extra_declares_pytest_and_its_absence_says_what_to_install() -> None:
    requires = metadata.requires("qframe") or []
    assert any(r.startswith("pytest") and 'extra == "testing"' in r for r in requires), requires
    code = "import sys; sys.modules['pytest'] = None; import qframe.testing"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert 'pip install "qframe[testing]"' in result.stderr.strip().splitlines()[-1]
