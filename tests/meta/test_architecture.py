"""The house rules of docs/architecture.md, enforced: core's rooms import only downwards, and
plugins never import one another.

Every import counts: module level, inside functions, and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from tests.conftest import ROOT

CORE = ROOT / "core" / "src" / "qframe"
LAYERS: tuple[tuple[str, ...], ...] = (
    ("plugin_api", "_moved"),
    ("data",),
    ("config",),
    ("fidelity",),
    ("analysis",),
    ("run",),
    ("testing",),
    ("commands",),
    ("cli", "__main__"),
)
"""Core's rooms, bottom first: a module may import its own room and the rooms below it."""
RANK = {room: rank for rank, rooms in enumerate(LAYERS) for room in rooms}


def imported_modules(path: Path, module: str) -> set[str]:
    """Every module an import statement in ``path`` (the module ``module``) names, relative
    imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def upward_imports(modules: dict[str, Path]) -> list[str]:
    """``importer imports imported (room -> room)`` for every import of a higher room."""
    upward = []
    for name, path in sorted(modules.items()):
        source = room_of(name)
        if source is None:
            continue
        for imported in imported_modules(path, name):
            target = room_of(imported)
            if target is not None and RANK[target] > RANK[source]:
                upward.append(f"{name} imports {imported} ({source} -> {target})")
    return sorted(set(upward))


def room_of(module: str) -> str | None:
    """The room of a ``qframe.*`` module (``None`` for the package itself and non-qframe modules)."""
    parts = module.split(".")
    if parts[0] != "qframe" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in RANK else None


def core_module(path: Path) -> str:
    parts = path.relative_to(CORE).with_suffix("").parts
    return ".".join(("qframe", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def test_every_core_module_lives_in_a_room():
    loose = [path.name for path in CORE.glob("*.py") if path.stem not in RANK and path.stem != "__init__"]
    assert loose == [], f"core modules outside every room: {loose}"


def test_core_rooms_import_only_their_own_room_and_the_rooms_below():
    modules = {core_module(path): path for path in CORE.rglob("*.py")}
    assert upward_imports(modules) == []


def test_the_plugin_api_imports_nothing_else_of_qframe():
    for path in sorted((CORE / "plugin_api").rglob("*.py")):
        others = {m for m in imported_modules(path, core_module(path)) if room_of(m) not in (None, "plugin_api")}
        assert others == set(), f"{path.name} imports {sorted(others)}"


def test_plugins_never_import_one_another():
    registry = tomllib.loads((ROOT / "registry.toml").read_text())
    folders = {}
    for entry in registry["plugin"]:
        package = entry["entry_point"].split(".")[0]
        folders[package] = ROOT / entry["path"] / "src" / package
    crossing = []
    for package, folder in folders.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder.parent).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            for imported in imported_modules(path, module):
                other = imported.split(".")[0]
                if other in folders and other != package:
                    crossing.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert crossing == [], "plugins importing other plugins:\n" + "\n".join(sorted(set(crossing)))


def test_the_rules_catch_an_upward_import_and_resolve_relative_ones(tmp_path):
    """The checks themselves can fail: an analysis module importing the run is reported."""
    probe = tmp_path / "probe.py"
    probe.write_text("from qframe.run.session import analyse\nfrom .cells import x\n\ndef f():\n    import qframe.commands.power\n")
    found = upward_imports({"qframe.analysis.probe": probe})
    assert found == [
        "qframe.analysis.probe imports qframe.commands.power (analysis -> commands)",
        "qframe.analysis.probe imports qframe.run.session (analysis -> run)",
        "qframe.analysis.probe imports qframe.run.session.analyse (analysis -> run)",
    ]
    assert "qframe.analysis.cells.x" in imported_modules(probe, "qframe.analysis.probe")


def test_old_import_paths_still_work_and_name_the_new_one():
    import subprocess
    import sys

    probe = (
        "import warnings\n"
        "warnings.simplefilter('error')\n"
        "try:\n"
        "    import qframe.protocols\n"
        "except DeprecationWarning as exc:\n"
        "    print(exc)\n"
        "warnings.simplefilter('ignore')\n"
        "import qframe.protocols as old, qframe.plugin_api.protocols as new\n"
        "from qframe.session import new_session\n"
        "from qframe.run.session import new_session as moved\n"
        "print(old is new, new_session is moved, new.__spec__.name)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    first, second = result.stdout.splitlines()
    assert first.startswith("qframe.protocols moved to qframe.plugin_api.protocols; import it from there")
    assert second == "True True qframe.plugin_api.protocols"
