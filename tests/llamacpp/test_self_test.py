"""Setup's self-test and ``qframe doctor``: each quant family decodes on this CPU; a crash is one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("llama_cpp")

from qframe_llamacpp.engine_worker import TEST_CRASH_ENV  # noqa: E402
from qframe_llamacpp.self_test import QUANTS, TOLERANCE_NATS, failure_line, run_self_test  # noqa: E402


def test_every_quant_family_decodes_and_matches_its_f16_expansion():
    checks = run_self_test()
    assert [check.quant for check in checks] == list(QUANTS)
    assert all(check.failure is None and check.decoded > 0 for check in checks), checks
    assert all(0 <= check.max_gap_nats <= TOLERANCE_NATS for check in checks)
    assert failure_line(checks, None) is None


def test_a_crash_is_one_line_naming_the_quant_the_cpu_and_the_fix(monkeypatch):
    monkeypatch.setenv(TEST_CRASH_ENV, "tiny-Q4_0.gguf:1")  # a stand-in for the AMX fault
    checks = run_self_test(["Q8_0", "Q4_0"])
    assert checks[0].failure is None
    assert checks[1].failure == "llama.cpp crashed with signal 11 (SIGSEGV)"
    line = failure_line(checks, installed_args=None)
    assert "\n" not in line and "Q4_0: llama.cpp crashed with signal 11" in line and "Q8_0" not in line
    assert "on CPU " in line and 'CMAKE_ARGS="-DGGML' in line and "GGML_AMX_INT8=OFF" in line


def test_doctor_prints_the_build_and_fails_with_one_line_on_a_crash(monkeypatch):
    command = [sys.executable, "-m", "qframe", "doctor", "--check", "llamacpp"]
    healthy = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert healthy.returncode == 0, healthy.stderr
    assert "llamacpp: ok" in healthy.stdout and "llama.cpp system info: CPU :" in healthy.stdout
    assert "self-test Q4_K_M: ok" in healthy.stdout and "build options: " in healthy.stdout

    monkeypatch.setenv(TEST_CRASH_ENV, "tiny-Q4_K_M.gguf:1")
    broken = subprocess.run([*command, "--quiet"], capture_output=True, text=True, timeout=300)
    assert broken.returncode == 1 and broken.stdout == ""
    [line] = broken.stderr.strip().splitlines()
    assert line.startswith("qframe doctor: llama.cpp self-test failed (Q4_K_M: llama.cpp crashed with signal 11")
