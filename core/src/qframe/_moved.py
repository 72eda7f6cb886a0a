"""Import paths of modules that moved into core's folders: they keep working for one release,
with a DeprecationWarning naming the new path.

``import qframe.protocols`` returns the module object of ``qframe.plugin_api.protocols`` itself
(not a copy), so a class imported either way is the same class. Installed as a meta-path finder
by ``qframe/__init__.py``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from types import ModuleType

REMOVED_IN = "qframe 0.3"
MOVED: dict[str, str] = {
    "qframe.errors": "qframe.plugin_api.errors",
    "qframe.protocols": "qframe.plugin_api.protocols",
    "qframe.hookspecs": "qframe.plugin_api.hookspecs",
    "qframe.plugins": "qframe.plugin_api.plugins",
    "qframe.cache": "qframe.data.cache",
    "qframe.datafiles": "qframe.data.datafiles",
    "qframe.references": "qframe.data.references",
    "qframe.hardware": "qframe.data.hardware",
    "qframe.hf_checkpoint": "qframe.data.hf_checkpoint",
    "qframe.model_shape": "qframe.data.model_shape",
    "qframe.records": "qframe.data.records",
    "qframe.config_errors": "qframe.config.errors",
    "qframe.draws": "qframe.analysis.draws",
    "qframe.plan": "qframe.run.plan",
    "qframe.runner": "qframe.run.runner",
    "qframe.stages": "qframe.run.stages",
    "qframe.session": "qframe.run.session",
    "qframe.writer": "qframe.run.writer",
    "qframe.runlock": "qframe.run.runlock",
    "qframe.preparation": "qframe.run.preparation",
    "qframe.executors": "qframe.run.executors",
    "qframe.stopping": "qframe.run.stopping",
    "qframe.progress": "qframe.run.progress",
    "qframe.fidelity.stage": "qframe.run.fidelity_stage",
    "qframe.rejudge": "qframe.commands.rejudge",
    "qframe.judge_check": "qframe.commands.judge_check",
    "qframe.power": "qframe.commands.power",
    "qframe.new_plugin": "qframe.commands.new_plugin",
    "qframe.plugin_check": "qframe.commands.plugin_check",
    "qframe.gate_report": "qframe.commands.gate_report",
    "qframe.export": "qframe.commands.export",
    "qframe.demo": "qframe.commands.demo",
    "qframe.machine_commands": "qframe.commands.machine_commands",
}
"""Old module path -> where it lives now."""


class _Alias:
    """A loader that hands back the module at the new path (duck-typed: importing
    ``importlib.abc`` would cost every start-up about 15 ms)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.target}; import it from there (the old path is removed in {REMOVED_IN})",
            DeprecationWarning,
            stacklevel=4,
        )
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._spec  # the import machinery stamped the old name's spec on it


class MovedModules:
    """Finds each old path of :data:`MOVED` and hands back the module at its new path."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(MOVED[fullname]))


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModules())
