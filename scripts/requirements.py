"""Print the third-party requirements (or, with --first-party, the package folders) of qframe's core and every first-party plugin, one a line.

scripts/setup.sh installs these first, with pip's build isolation, so that a package built from
source (llama-cpp-python compiles with scikit-build-core) gets its own build requirements. The
first-party packages are then installed editable without build isolation and without resolving
dependencies again, which keeps re-running setup fast.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path


def first_party_paths(root: Path) -> list[Path]:
    """The core and every plugin path listed in registry.toml."""
    registry = tomllib.loads((root / "registry.toml").read_text())
    return [root / "core", *(root / entry["path"] for entry in registry["plugin"])]


def requirements(root: Path) -> list[str]:
    """Third-party requirement strings of every first-party package, without repeats."""
    projects = [tomllib.loads((path / "pyproject.toml").read_text())["project"] for path in first_party_paths(root)]
    own_names = {_normalise(project["name"]) for project in projects}
    seen: dict[str, None] = {}
    for project in projects:
        for requirement in project.get("dependencies", []):
            name = re.split(r"[\s\[<>=!~;@]", requirement, maxsplit=1)[0]
            if _normalise(name) not in own_names:
                seen.setdefault(requirement, None)
    return list(seen)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    wanted = first_party_paths(root) if sys.argv[1:] == ["--first-party"] else requirements(root)
    for line in wanted:
        print(line)
