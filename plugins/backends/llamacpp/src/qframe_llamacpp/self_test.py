"""Does the installed llama.cpp build run on this CPU? Setup's last step and ``qframe doctor``.

For each quant family a ladder builds (:data:`QUANTS`) a child process quantizes the tiny model
(:mod:`.tiny_model`), decodes a few tokens from it, and scores a fixed text with it and with the
same weights expanded to F16 by gguf-py (numpy, not llama.cpp's quantized kernels). A crash, no
tokens, or log-likelihoods further apart than :data:`TOLERANCE_NATS` fail that quant. The
quantized kernels (AVX2, AVX-512, AMX, repacked layouts) differ from the F16 path only by the
rounding of activations, so a kernel that computes garbage shows as a large gap.

Every native call runs in a child, so a crash ends the child and is reported, not suffered.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import attrs
from qframe.plugin_api.protocols import CheckReport

from . import build_flags

QUANTS = ("F16", "Q8_0", "Q4_K_M", "Q4_0")
"""F16, the 8-bit legacy type, a K-quant and the 4-bit type llama.cpp repacks on AVX2/AVX-512."""

TOLERANCE_NATS = 0.5
"""Largest allowed gap per token between a quant's log-likelihood and its F16 expansion's (the
measured gaps of working kernels on the tiny model are below 0.05: docs/benchmarks.md)."""

DECODE_TOKENS = 8
SCORED_TEXT = ("the cat sat on the mat", " and the dog sleeps")
CHILD_TIMEOUT_S = 120


@attrs.frozen
class QuantCheck:
    quant: str
    failure: str | None
    decoded: int = 0
    max_gap_nats: float | None = None


def run_self_test(quants: Sequence[str] = QUANTS) -> list[QuantCheck]:
    """Check each quant in its own child process; see the module docstring."""
    with tempfile.TemporaryDirectory(prefix="qframe-selftest-") as folder:
        source = Path(folder) / "tiny-F32.gguf"
        from .tiny_model import write_tiny_llama

        write_tiny_llama(source)
        return [_check_in_child(source, quant) for quant in quants]


def _check_in_child(source: Path, quant: str) -> QuantCheck:
    command = [sys.executable, "-m", "qframe_llamacpp.self_test", str(source), quant]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return QuantCheck(quant, f"no answer within {CHILD_TIMEOUT_S} s")
    if done.returncode < 0:
        number = -done.returncode
        from .engine_process import signal_name

        return QuantCheck(quant, f"llama.cpp crashed with signal {number} ({signal_name(number)})")
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return QuantCheck(quant, f"the check failed (exit code {done.returncode}: {last})")
    result = json.loads(lines[-1])
    if result["decoded"] < 1:
        return QuantCheck(quant, "decoding produced no tokens", 0, result["max_gap_nats"])
    if not result["max_gap_nats"] <= TOLERANCE_NATS:  # also catches NaN
        return QuantCheck(
            quant,
            f"wrong output: log-likelihoods {result['max_gap_nats']:.3g} nats per token away from the same "
            f"weights in F16 (allowed {TOLERANCE_NATS})",
            result["decoded"],
            result["max_gap_nats"],
        )
    return QuantCheck(quant, None, result["decoded"], result["max_gap_nats"])


def failure_line(checks: Sequence[QuantCheck], installed_args: str | None) -> str | None:
    """One line naming what failed, this CPU's features and the build options that avoid it."""
    failed = [check for check in checks if check.failure]
    if not failed:
        return None
    flags = build_flags.cpu_flags()
    fix = build_flags.chosen_args(flags, platform.machine())
    if installed_args == fix:  # the build already avoids AMX: fall back to AVX2 kernels only
        fix = build_flags.conservative_args(flags, platform.machine())
    what = "; ".join(f"{check.quant}: {check.failure}" for check in failed)
    return (
        f"llama.cpp self-test failed ({what}) on CPU {platform.machine()} with {relevant_features(flags)}; "
        f'rebuild with CMAKE_ARGS="{fix}" scripts/setup.sh (see README, "llama.cpp build")'
    )


def relevant_features(flags: frozenset[str]) -> str:
    """The CPU features that decide llama.cpp's kernels, as one space-separated string."""
    wanted = {flag for needed in build_flags.X86_OPTIONS.values() for flag in needed} | {"amx_tile", "amx_int8", "amx_bf16"}
    present = sorted(flags & wanted)
    return " ".join(present) if present else "no x86 SIMD flags listed"


def installed_build_args() -> str | None:
    """The CMake options setup recorded for the installed llama-cpp-python (None if it did not)."""
    record = Path(sys.prefix) / build_flags.BUILD_RECORD
    try:
        return record.read_text().strip().split(" ", 1)[1]
    except (OSError, IndexError):
        return None


def amx_compiled_in(system_info: str) -> bool:
    """Whether llama.cpp's system info lists AMX kernels (``AMX_INT8 = 1``)."""
    return re.search(r"\bAMX_INT8 = 1\b", system_info) is not None


def system_info() -> str:
    """llama.cpp's ``llama_print_system_info()`` of the installed build, read in a child process."""
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode(errors='replace').strip())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"llama_cpp did not load (exit code {done.returncode}): {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def doctor_check() -> CheckReport:
    """The ``llamacpp`` check of ``qframe doctor``: build, CPU, system info, and the self-test."""
    from importlib import metadata

    try:
        version = metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return CheckReport({"llama-cpp-python": "not installed"}, installed=False)
    info = system_info()
    args = installed_build_args()
    checks = run_self_test()
    facts = {
        "llama-cpp-python": version,
        "build options": args or "not recorded (installed outside scripts/setup.sh)",
        "CPU features": relevant_features(build_flags.cpu_flags()),
        "llama.cpp system info": info,
        **{f"self-test {check.quant}": _described(check) for check in checks},
    }
    failures = [line] if (line := failure_line(checks, args)) else []
    meant_without_amx = args is not None and not build_flags.amx_in_build(args)
    if meant_without_amx and amx_compiled_in(info):
        failures.append(
            f"llama.cpp was built with options that leave AMX off ({args}) but its system info lists AMX "
            f"kernels ({info}); rebuild: rm {Path(sys.prefix) / build_flags.BUILD_RECORD} && scripts/setup.sh"
        )
    return CheckReport(facts, tuple(failures))


def _described(check: QuantCheck) -> str:
    if check.failure:
        return f"FAILED: {check.failure}"
    return f"ok ({check.decoded} tokens decoded, largest gap to F16 {check.max_gap_nats:.3g} nats)"


def _child(source: Path, quant: str) -> None:
    """In the child: quantize, decode, score against the F16 expansion; print one JSON line."""
    from .dequantize import dequantize_to_f16
    from .engine import LlamaEngine
    from .engine_worker import crash_if_asked
    from .quantize import quantize

    folder = source.parent
    quantized = source if quant == "F32" else quantize(source, folder / f"tiny-{quant}.gguf", quant)
    expanded = dequantize_to_f16(quantized, folder / f"tiny-{quant}-as-F16.gguf")
    context, continuation = SCORED_TEXT
    with LlamaEngine(quantized, n_ctx=256, seed=1) as engine:
        crash_if_asked(quantized, 1)
        generation = engine.generate("the cat", max_tokens=DECODE_TOKENS, chat=False)
        tokens, rows = engine.sequence_logprobs(context, continuation)
        quantized_scores = [float(rows[i, token]) for i, token in enumerate(tokens)]
    with LlamaEngine(expanded, n_ctx=256, seed=1) as reference:
        tokens_f16, rows_f16 = reference.sequence_logprobs(context, continuation)
        reference_scores = [float(rows_f16[i, token]) for i, token in enumerate(tokens_f16)]
    gaps = [abs(a - b) for a, b in zip(quantized_scores, reference_scores, strict=True)]
    print(json.dumps({"decoded": generation.completion_tokens, "max_gap_nats": max(gaps, default=0.0)}))


if __name__ == "__main__":
    _child(Path(sys.argv[1]), sys.argv[2])
