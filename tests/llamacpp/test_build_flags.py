"""The llama.cpp build: options chosen per CPU (AMX always off), and the installed build keeps to them."""

from __future__ import annotations

import platform

import pytest

from qframe_llamacpp import build_flags

SAPPHIRE_RAPIDS = (
    "flags\t\t: fpu sse4_2 avx f16c fma bmi2 avx2 avx_vnni avx512f avx512cd avx512vl avx512dq avx512bw "
    "avx512vbmi avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8\n"
)
EPYC_AVX2 = "flags\t\t: fpu sse4_2 avx f16c fma bmi2 avx2\n"


def _options(args: str) -> dict[str, str]:
    return dict(option.removeprefix("-D").split("=") for option in args.split())


def test_an_amx_cpu_gets_its_avx512_kernels_and_no_amx():
    options = _options(build_flags.chosen_args(build_flags.cpu_flags(SAPPHIRE_RAPIDS), "x86_64"))
    assert options["GGML_NATIVE"] == "OFF"
    assert {options[o] for o in ("GGML_AVX2", "GGML_AVX512", "GGML_AVX512_VBMI", "GGML_AVX512_VNNI",
                                 "GGML_AVX512_BF16", "GGML_AVX_VNNI")} == {"ON"}
    assert {options[o] for o in build_flags.AMX_OPTIONS} == {"OFF"}
    assert not build_flags.amx_in_build(build_flags.chosen_args(build_flags.cpu_flags(SAPPHIRE_RAPIDS), "x86_64"))


def test_an_avx2_cpu_gets_no_avx512_and_the_fallback_drops_avx512_everywhere():
    options = _options(build_flags.chosen_args(build_flags.cpu_flags(EPYC_AVX2), "x86_64"))
    assert options["GGML_AVX2"] == "ON" and options["GGML_FMA"] == "ON"
    assert options["GGML_AVX512"] == "OFF" and options["GGML_AVX_VNNI"] == "OFF"
    fallback = _options(build_flags.conservative_args(build_flags.cpu_flags(SAPPHIRE_RAPIDS), "x86_64"))
    assert fallback["GGML_AVX2"] == "ON" and fallback["GGML_AVX512"] == "OFF" and fallback["GGML_AMX_INT8"] == "OFF"


def test_other_machines_use_native_detection_and_user_options_win():
    assert build_flags.chosen_args(frozenset({"neon"}), "aarch64") == "-DGGML_NATIVE=ON"
    assert build_flags.build_args({"CMAKE_ARGS": " -DGGML_BLAS=ON "}) == "-DGGML_BLAS=ON"
    assert build_flags.build_args({}) == build_flags.chosen_args(build_flags.cpu_flags(), platform.machine())
    assert build_flags.amx_in_build("-DGGML_NATIVE=OFF -DGGML_AMX_INT8=ON")


def test_the_build_key_names_the_requirement_and_the_options():
    key = build_flags.build_key("llama-cpp-python==0.3.36", "-DGGML_NATIVE=OFF")
    assert key == build_flags.build_key("llama-cpp-python==0.3.36", "-DGGML_NATIVE=OFF")
    assert key != build_flags.build_key("llama-cpp-python==0.3.36", "-DGGML_NATIVE=ON")
    assert key != build_flags.build_key("llama-cpp-python==0.3.37", "-DGGML_NATIVE=OFF")


def test_the_installed_build_is_the_one_setup_chose_and_has_no_amx_kernels():
    pytest.importorskip("llama_cpp")
    from qframe_llamacpp.self_test import amx_compiled_in, installed_build_args, system_info

    args = installed_build_args()
    assert args is not None, "scripts/setup.sh records the llama.cpp build options it installed"
    info = system_info()
    assert not build_flags.amx_in_build(args)
    assert not amx_compiled_in(info), f"AMX kernels in a build meant to avoid them: {info}"
    flags = build_flags.cpu_flags()
    if "avx2" in flags and "GGML_AVX2=OFF" not in args:
        assert "AVX2 = 1" in info  # the fast paths stay
    assert "REPACK = 1" in info


def test_amx_in_system_info_is_recognised():
    from qframe_llamacpp.self_test import amx_compiled_in

    assert amx_compiled_in("CPU : SSE3 = 1 | AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1 |")
    assert not amx_compiled_in("CPU : SSE3 = 1 | AVX2 = 1 | REPACK = 1 |")
