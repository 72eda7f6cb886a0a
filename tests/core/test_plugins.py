"""Plugin manager: isolation of broken plugins, strict mode, disabling, name collisions."""

from __future__ import annotations

import sys
import types
from importlib import metadata

import pytest

from qframe.plugin_api.errors import PluginError, UnknownPluginError
from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import PluginHost


def _module(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    sys.modules[name] = module
    return module


def _entry_point(name: str, module: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=module, group="qframe")


def _backend_module(name: str, backend: str) -> types.ModuleType:
    return _module(name, qframe_register_backends=lambda register: register(backend, object, "test"))


def test_installed_first_party_plugins_register(host):
    assert "mock" in host.names("backends")
    assert "mock" in host.names("tasks")
    assert "arrow" in host.names("stores")
    registration = host.get("backends", "mock")
    assert registration.distribution == "qframe-mock"
    assert host.versions()["qframe-mock"] == registration.version


def test_broken_import_is_reported_and_others_load():
    _backend_module("qframe_test_good", "good")
    host = PluginHost()
    host.load_entry_points(
        [_entry_point("bad", "qframe_test_no_such_module"), _entry_point("good", "qframe_test_good")], disabled=set()
    )
    assert host.names("backends") == ["good"]
    assert len(host.failures) == 1
    assert "bad" in host.failures[0].describe() and "ModuleNotFoundError" in host.failures[0].error
    with pytest.raises(PluginError, match="qframe_test_no_such_module"):
        host.check_strict()


def test_hook_that_raises_is_isolated():
    def explode(register):
        raise RuntimeError("registration exploded")

    _module("qframe_test_explodes", qframe_register_tasks=explode)
    _backend_module("qframe_test_fine", "fine")
    host = PluginHost()
    host.load_entry_points(
        [_entry_point("explodes", "qframe_test_explodes"), _entry_point("fine", "qframe_test_fine")], disabled=set()
    )
    assert host.names("backends") == ["fine"]
    assert "registration exploded" in host.failures[0].error


def test_disabled_plugins_are_skipped(monkeypatch):
    _backend_module("qframe_test_one", "one")
    _backend_module("qframe_test_two", "two")
    monkeypatch.setenv("QFRAME_DISABLE_PLUGINS", "one, other")
    host = PluginHost()
    host.load_entry_points([_entry_point("one", "qframe_test_one"), _entry_point("two", "qframe_test_two")])
    assert host.names("backends") == ["two"]
    assert not host.failures


def test_same_name_twice_names_both_distributions():
    host = PluginHost()
    host.add_plugin(_backend_module("qframe_test_a", "dup"), "a", "qframe-a", "1.0")
    with pytest.raises(PluginError, match="backend 'dup' is registered by both qframe-a and qframe-b"):
        host.add_plugin(_backend_module("qframe_test_b", "dup"), "b", "qframe-b", "2.0")


def test_unknown_name_lists_what_is_available(host):
    with pytest.raises(UnknownPluginError, match=r"ladder.backend: unknown backend 'nope'; available: .*mock"):
        host.get("backends", "nope", where="ladder.backend")


def test_a_family_name_answers_every_key_and_hands_the_key_to_its_factory():
    host = PluginHost()
    made = []
    module = _module(
        "qframe_test_family",
        qframe_register_metrics=lambda register: register("fam:", lambda key, options: made.append((key, options)), "test"),
    )
    host.add_plugin(module, "fam", "qframe-fam", "1.0")
    assert host.has("metrics", "fam:acc,strict-match")
    registration = host.get("metrics", "fam:acc,strict-match")
    registration.factory({"x": 1})
    assert registration.name == "fam:acc,strict-match" and made == [("acc,strict-match", {"x": 1})]
    assert not host.has("metrics", "fam:") and not host.has("metrics", "fam") and not host.has("metrics", "other:acc")
    with pytest.raises(UnknownPluginError, match=r"unknown metric 'other:acc'; available: fam:"):
        host.get("metrics", "other:acc")


def test_plugins_command_lists_distribution_version_and_registrations(cli):
    code, out, _ = cli("plugins")
    assert code == 0
    assert "qframe-mock 0.1.0  backends: mock; tasks: mock" in out
    assert "qframe-store-arrow 0.1.0  stores: arrow" in out


def test_strict_flag_and_env_fail_on_broken_plugin(cli, monkeypatch):
    import qframe.plugin_api.plugins as plugins

    original = plugins.PluginHost.load_entry_points

    def with_broken(self, entry_points=None, disabled=None):
        original(self, entry_points, disabled)
        original(self, [_entry_point("broken", "qframe_test_missing")], disabled=set())

    monkeypatch.setattr(plugins.PluginHost, "load_entry_points", with_broken)
    code, out, err = cli("plugins")
    assert code == 0 and "BROKEN" in out and "warning: plugin 'broken'" in err
    code, _, err = cli("--strict", "plugins")
    assert code == 2 and "qframe_test_missing" in err
    monkeypatch.setenv("QFRAME_STRICT", "1")
    code, _, _ = cli("plugins")
    assert code == 2


def test_core_and_plugin_loading_import_nothing_heavy():
    """`qframe --help` stays fast: loading the CLI and every plugin imports no heavy library."""
    import subprocess

    probe = (
        "import sys; from qframe.plugin_api.plugins import get_host; import qframe.cli; get_host(); "
        "heavy = [m for m in ('numpy', 'pyarrow', 'torch', 'llama_cpp', 'rich', 'cattrs', 'scipy', 'gguf') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
