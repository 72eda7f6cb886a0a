"""Plugin manager: discovers ``qframe`` entry points and collects what each one registers.

Each entry point is loaded on its own: a plugin that fails to import, or whose hook raises, is
recorded as a :class:`PluginFailure` (with its distribution name and the error) and the others
keep working. Strict mode (``--strict`` or ``QFRAME_STRICT=1``) turns any failure into an error.
``QFRAME_DISABLE_PLUGINS=a,b`` skips entry points or distributions by name. The same name
registered twice for one kind is an error naming both distributions.

A name that ends in ``:`` registers a family: ``lmeval:`` answers every name ``lmeval:<key>``,
its factory called with ``<key>`` before its usual arguments (a plugin whose metric names come
from the tasks it runs, such as lm-eval's ``acc`` or ``exact_match,strict-match``).
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterable
from importlib import metadata
from types import ModuleType
from typing import Any

import attrs
import pluggy

from qframe.plugin_api import hookspecs
from qframe.plugin_api.errors import PluginError, UnknownPluginError, first_line

DISABLE_ENV = "QFRAME_DISABLE_PLUGINS"
BUILTIN_PLUGIN = "qframe.run.builtins"
"""Core's own plugin module: it registers the ``local`` executor."""
STRICT_ENV = "QFRAME_STRICT"


@attrs.frozen
class PluginFailure:
    """A plugin that could not be loaded or whose registration hook raised."""

    entry_point: str
    distribution: str
    error: str

    def describe(self) -> str:
        return f"plugin {self.entry_point!r} from {self.distribution} failed to load: {self.error}"


@attrs.frozen
class Registration:
    """One named factory and the distribution that provided it."""

    kind: str
    name: str
    factory: Callable[..., Any]
    distribution: str
    version: str
    description: str = ""


@attrs.frozen
class LoadedPlugin:
    """An entry point that loaded, with what it registered (kind -> names)."""

    entry_point: str
    distribution: str
    version: str
    module: ModuleType
    provides: dict[str, list[str]]


def strict_from_env() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def disabled_from_env() -> set[str]:
    return {name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()}


class PluginHost:
    """Loaded plugins and their registrations, by kind and name."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self.plugins: dict[str, LoadedPlugin] = {}
        self._registry: dict[str, dict[str, Registration]] = {kind: {} for kind in hookspecs.KINDS}

    # -- loading ------------------------------------------------------------------------------

    def load_entry_points(
        self, entry_points: Iterable[metadata.EntryPoint] | None = None, disabled: set[str] | None = None
    ) -> None:
        """Load every entry point of the ``qframe`` group (or the ones given) and register them."""
        disabled = disabled_from_env() if disabled is None else disabled
        self._add_builtins()
        if entry_points is None:
            entry_points = metadata.entry_points(group=hookspecs.PROJECT)
        for entry_point in entry_points:
            dist_name, version = _distribution_of(entry_point)
            if entry_point.name in disabled or dist_name in disabled:
                continue
            try:
                module = entry_point.load()
            except Exception as exc:  # a broken plugin must not stop the others
                self.failures.append(PluginFailure(entry_point.name, dist_name, first_line(exc, with_type=True)))
                continue
            self.add_plugin(module, entry_point.name, dist_name, version)

    def _add_builtins(self) -> None:
        """Core's own registrations (the in-process executor), registered like any plugin: by
        module name, as an entry point names its module, so the plugin API imports no run code."""
        if "qframe" not in self.plugins:
            from qframe import __version__

            self.add_plugin(importlib.import_module(BUILTIN_PLUGIN), "qframe", "qframe", __version__)

    def add_plugin(self, module: ModuleType, name: str, distribution: str, version: str) -> None:
        """Register one plugin module and collect its registrations (also used by tests)."""
        try:
            self.manager.register(module, name=name)
        except Exception as exc:
            self.failures.append(PluginFailure(name, distribution, first_line(exc, with_type=True)))
            return
        collected: dict[str, dict[str, Registration]] = {kind: {} for kind in hookspecs.KINDS}
        try:
            for kind, hook_name in hookspecs.REGISTRATION_HOOKS.items():
                hook_function = getattr(module, hook_name, None)
                if hook_function is None:
                    continue
                hook_function(register=self._collector(kind, collected[kind], distribution, version))
        except PluginError:
            raise
        except Exception as exc:
            self.manager.unregister(module)
            self.failures.append(PluginFailure(name, distribution, first_line(exc, with_type=True)))
            return
        for kind, registrations in collected.items():
            for reg_name, registration in registrations.items():
                existing = self._registry[kind].get(reg_name)
                if existing is not None:
                    raise PluginError(
                        f"{kind[:-1]} {reg_name!r} is registered by both {existing.distribution} and "
                        f"{distribution}; uninstall one or set {DISABLE_ENV}"
                    )
                self._registry[kind][reg_name] = registration
        provides = {kind: sorted(regs) for kind, regs in collected.items() if regs}
        self.plugins[name] = LoadedPlugin(name, distribution, version, module, provides)

    @staticmethod
    def _collector(
        kind: str, into: dict[str, Registration], distribution: str, version: str
    ) -> Callable[..., None]:
        def register(name: str, factory: Callable[..., Any], description: str = "") -> None:
            if not isinstance(name, str) or not name:
                raise TypeError(f"{kind[:-1]} name must be a non-empty string, got {name!r}")
            if not callable(factory):
                raise TypeError(f"{kind[:-1]} {name!r}: factory is not callable")
            if name in into:
                raise PluginError(f"{kind[:-1]} {name!r} is registered twice by {distribution}")
            into[name] = Registration(kind, name, factory, distribution, version, description)

        return register

    def check_strict(self) -> None:
        """Raise if any plugin failed (strict mode for CI)."""
        if self.failures:
            raise PluginError("; ".join(failure.describe() for failure in self.failures))

    # -- lookup -------------------------------------------------------------------------------

    def names(self, kind: str) -> list[str]:
        return sorted(self._registry[kind])

    def in_registration_order(self, kind: str) -> list[str]:
        """Names in the order plugins registered them (classifiers may build on earlier labels)."""
        return list(self._registry[kind])

    def registrations(self, kind: str) -> list[Registration]:
        return [self._registry[kind][name] for name in self.names(kind)]

    def get(self, kind: str, name: str, where: str | None = None) -> Registration:
        """The registration of ``name`` (or of its family); an unknown name names the key path
        and the choices."""
        registration = self._lookup(kind, name)
        if registration is None:
            available = ", ".join(self.names(kind)) or "none installed"
            prefix = f"{where}: " if where else ""
            raise UnknownPluginError(f"{prefix}unknown {kind[:-1]} {name!r}; available: {available}")
        return registration

    def has(self, kind: str, name: str) -> bool:
        return self._lookup(kind, name) is not None

    def _lookup(self, kind: str, name: str) -> Registration | None:
        registry = self._registry[kind]
        if name in registry and not name.endswith(":"):
            return registry[name]
        family, separator, key = name.partition(":")
        registration = registry.get(family + separator) if separator and key else None
        if registration is None:
            return None
        return attrs.evolve(registration, name=name, factory=functools.partial(registration.factory, key))

    def versions(self) -> dict[str, str]:
        """Distribution -> version for every loaded plugin (written to the manifest)."""
        return {plugin.distribution: plugin.version for plugin in self.plugins.values()}


def lazy(target: str, *args: Any) -> Callable[..., Any]:
    """A factory for ``register`` that imports ``"package.module:name"`` only when it is called.

    Registration runs for every plugin at each CLI start; a plugin that registers ``lazy(...)``
    factories costs the start-up nothing but its tiny ``plugin`` module. The named object is
    called with ``args`` followed by the factory's own arguments::

        register("arc_challenge", lazy("my_tasks.task:make_task", "arc_challenge"), "...")
    """
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"lazy factory target must look like 'package.module:name', got {target!r}")

    def factory(*call_args: Any, **kwargs: Any) -> Any:
        made = getattr(importlib.import_module(module_name), attribute)
        return made(*args, *call_args, **kwargs)

    factory.__qualname__ = factory.__name__ = f"lazy({target})"
    factory.target = target  # type: ignore[attr-defined]
    return factory


def _distribution_of(entry_point: metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return ("unknown", "unknown")
    return (dist.metadata["Name"] or "unknown", dist.version or "unknown")


_HOST: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _HOST
    if _HOST is None:
        host = PluginHost()
        host.load_entry_points()
        _HOST = host
    return _HOST


def reset_host() -> None:
    """Forget the loaded plugins (tests that change the environment call this)."""
    global _HOST
    _HOST = None
