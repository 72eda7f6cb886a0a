"""``qframe plugins --check``: does every installed plugin load, and does what it registers resolve?

For each loaded plugin: every registration's factory must be importable (a
:func:`qframe.plugin_api.plugins.lazy` factory is checked by importing its ``target`` without calling it),
and every hook implementation must name a hook spec with matching arguments (pluggy checks the
arguments when the plugin registers; a misspelled hook name is only found here). A plugin that
failed to load is a problem too.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import attrs

from qframe.plugin_api import hookspecs
from qframe.plugin_api.plugins import LoadedPlugin, PluginHost


@attrs.frozen
class PluginReport:
    """What one plugin registers and the problems found with it."""

    distribution: str
    version: str
    entry_point: str
    registrations: list[str]
    problems: list[str]


def check_plugins(host: PluginHost) -> list[PluginReport]:
    """One report per loaded plugin, then one per plugin that failed to load."""
    reports = [_check_loaded(host, plugin) for plugin in sorted(host.plugins.values(), key=lambda p: p.distribution)]
    reports += [
        PluginReport(failure.distribution, "?", failure.entry_point, [], [f"failed to load: {failure.error}"])
        for failure in host.failures
    ]
    return reports


def _check_loaded(host: PluginHost, plugin: LoadedPlugin) -> PluginReport:
    registrations, problems = [], []
    for kind, names in plugin.provides.items():
        registered = {registration.name: registration for registration in host.registrations(kind)}
        for name in names:
            factory = registered[name].factory  # exactly as registered (a family name too)
            target = getattr(factory, "target", None)
            shown = target or f"{getattr(factory, '__module__', '?')}:{getattr(factory, '__qualname__', type(factory).__name__)}"
            registrations.append(f"{kind[:-1]} {name} -> {shown}")
            if target is not None:
                problem = _unresolved(target)
                if problem:
                    problems.append(f"{kind[:-1]} {name!r}: factory target {target} does not resolve: {problem}")
    problems += list(_unknown_hooks(host, plugin))
    return PluginReport(plugin.distribution, plugin.version, plugin.entry_point, registrations, problems)


def _unresolved(target: str) -> str:
    """Why ``"package.module:name"`` cannot be imported ("" when it can)."""
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is what we report
        return f"{type(exc).__name__}: {exc}"
    if not hasattr(module, attribute):
        return f"module {module_name} has no attribute {attribute!r}"
    return ""


def _unknown_hooks(host: PluginHost, plugin: LoadedPlugin) -> Iterator[str]:
    """Hook implementations whose name matches no hook spec (a typo registers nothing)."""
    for hook_caller in host.manager.get_hookcallers(plugin.module) or []:
        if hook_caller.spec is None:
            yield f"hook {hook_caller.name} matches no hook spec of qframe (known: {', '.join(_spec_names())})"


def _spec_names() -> list[str]:
    return sorted(name for name in dir(hookspecs) if name.startswith("qframe_"))
