"""Importing the backend's modules must not load llama.cpp, gguf or numpy (plugin loading stays instant)."""

from __future__ import annotations

import subprocess
import sys

MODULES = (
    "atomic", "build_flags", "dequantize", "engine", "engine_process", "engine_worker", "gguf_info", "ladder",
    "quantize", "self_test", "teacher_forcing", "tiny_model",
)


def test_modules_import_no_heavy_library() -> None:
    code = (
        "import sys\n"
        + "".join(f"import qframe_llamacpp.{name}\n" for name in MODULES)
        + "print(sorted({'llama_cpp', 'gguf', 'numpy'} & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
