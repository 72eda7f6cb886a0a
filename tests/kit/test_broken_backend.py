"""A backend that breaks the contract fails the conformance suite, and each failure names its rule."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "conformance" / "broken_backend_suite.py"


def test_broken_backend_fails_with_the_broken_rules_named(tmp_path: Path) -> None:
    shutil.copy(SUITE, tmp_path / "test_broken_backend_suite.py")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_broken_backend_suite.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    for rule in (
        "digest differs for different weights",
        "generate honours stop",
        "log-probabilities are finite and <= 0",
        "loglikelihood values are finite and <= 0",
    ):
        assert f"conformance rule broken: {rule}" in out, out
    assert "5 failed, 11 passed" in out, out  # loglikelihood values break two checks
