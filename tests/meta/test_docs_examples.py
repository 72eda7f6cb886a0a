"""The user documentation's examples name only backends that are installed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
USER_DOCS = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
EXAMPLE_PLUGIN_DOCS = {"plugin-authors.md", "hooks.md"}
"""Guides that write a backend of their own as the example (its name is theirs to choose)."""
BACKEND = re.compile(r"""backend\s*=\s*"([^"<]+)"|--backend\s+([a-z][a-z0-9_-]+)""")  # not placeholders


def test_documented_backends_exist(host):
    installed = set(host.names("backends"))
    named = {
        (path.name, match.group(1) or match.group(2))
        for path in USER_DOCS
        if path.name not in EXAMPLE_PLUGIN_DOCS
        for match in BACKEND.finditer(path.read_text())
    }
    missing = sorted((doc, name) for doc, name in named if name not in installed)
    assert not missing, f"examples name backends that are not installed: {missing}"
    assert named
