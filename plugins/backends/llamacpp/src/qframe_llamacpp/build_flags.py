"""The CMake options llama-cpp-python is compiled with, chosen from the CPU it is built on.

llama.cpp's default (``GGML_NATIVE=ON``, ``-march=native``) turns on its AMX kernels on Intel
CPUs that have AMX (Sapphire Rapids and later), and that code path crashes (SIGSEGV on
``ldtilecfg`` in ``ggml_backend_amx_mul_mat``) on the first decode of any quantized model on such
machines. So the build names each instruction set the CPU has (AVX2, AVX-512 with VNNI/BF16/VBMI,
AVX-VNNI...) and leaves the AMX options off. Weight repacking (``GGML_CPU_REPACK``), the fast
path for Q4_0 on AVX2/AVX-512, stays on.

A user's own ``CMAKE_ARGS`` win: :func:`build_args` returns them unchanged.

This file runs before qframe is installed (``scripts/setup.sh`` calls it with the system Python),
so it imports only the standard library.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys

X86_OPTIONS: dict[str, tuple[str, ...]] = {
    "GGML_SSE42": ("sse4_2",),
    "GGML_AVX": ("avx",),
    "GGML_F16C": ("f16c",),
    "GGML_FMA": ("fma",),
    "GGML_BMI2": ("bmi2",),
    "GGML_AVX2": ("avx2",),
    "GGML_AVX_VNNI": ("avx_vnni",),
    "GGML_AVX512": ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"),
    "GGML_AVX512_VBMI": ("avx512vbmi",),
    "GGML_AVX512_VNNI": ("avx512_vnni",),
    "GGML_AVX512_BF16": ("avx512_bf16",),
}
"""Each llama.cpp instruction-set option and the ``/proc/cpuinfo`` flags it needs (all of them)."""

AMX_OPTIONS = ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16")
"""Always off: llama.cpp's AMX path crashes on the machines that have it."""

BUILD_RECORD = "qframe-llama-build.txt"
"""File in the environment's prefix where setup records the build key and options it installed."""


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where there is none)."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as handle:
                cpuinfo = handle.read()
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def chosen_args(flags: frozenset[str], machine: str) -> str:
    """The CMake options for a CPU with these flags: explicit instruction sets on x86-64 without
    AMX; llama.cpp's native detection elsewhere (no AMX exists there)."""
    if machine.lower() not in ("x86_64", "amd64"):
        return "-DGGML_NATIVE=ON"
    options = ["-DGGML_NATIVE=OFF"]
    for option, needed in X86_OPTIONS.items():
        options.append(f"-D{option}={'ON' if set(needed) <= flags else 'OFF'}")
    options.extend(f"-D{option}=OFF" for option in AMX_OPTIONS)
    return " ".join(options)


def conservative_args(flags: frozenset[str], machine: str) -> str:
    """A fallback when :func:`chosen_args` still fails: AVX2-level kernels only (no AVX-512, no AMX)."""
    if machine.lower() not in ("x86_64", "amd64"):
        return "-DGGML_NATIVE=OFF"
    kept = {option for option in X86_OPTIONS if not option.startswith(("GGML_AVX512", "GGML_AVX_VNNI"))}
    return chosen_args(frozenset(flag for option in kept for flag in X86_OPTIONS[option] if flag in flags), machine)


def build_args(environ: dict[str, str] | None = None) -> str:
    """``CMAKE_ARGS`` for this machine: the user's own when set, else :func:`chosen_args`."""
    environ = dict(os.environ) if environ is None else environ
    own = environ.get("CMAKE_ARGS", "").strip()
    return own or chosen_args(cpu_flags(), platform.machine())


def build_key(requirement: str, args: str) -> str:
    """A short name for one build: the same requirement and options give the same wheel."""
    return hashlib.sha256(f"{requirement}\n{args}".encode()).hexdigest()[:16]


def amx_in_build(args: str) -> bool:
    """Whether these CMake options can compile llama.cpp's AMX kernels (an explicit AMX option
    on, or native detection on an x86-64 CPU that has AMX)."""
    if any(f"-D{option}=ON" in args for option in AMX_OPTIONS):
        return True
    native = "-DGGML_NATIVE=OFF" not in args
    return native and platform.machine().lower() in ("x86_64", "amd64") and "amx_int8" in cpu_flags()


if __name__ == "__main__":
    # `python build_flags.py [REQUIREMENT]`: the options, and with a requirement also the build key.
    chosen = build_args()
    print(chosen)
    if len(sys.argv) > 1:
        print(build_key(sys.argv[1], chosen))
