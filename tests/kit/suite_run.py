"""Install a plugin package into a private site folder, and run its own tests in a fresh pytest
process with that folder on the path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def install_into(site: Path, package: Path) -> None:
    """``pip install --target site`` of a local package, without its dependencies (already here)."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run([*command, "--target", str(site), str(package)], check=True, capture_output=True)


def assert_package_tests_pass(folder: Path, site: Path) -> None:
    """``pytest tests`` in ``folder`` passes with something run and nothing skipped."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=folder,
        env=dict(os.environ, PYTHONPATH=str(site)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout
