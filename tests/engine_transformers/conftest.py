"""The tiny random HF llama (a few hundred kB) and its GPTQ/AWQ checkpoints, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_hf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qframe_transformers.tiny_model import write_tiny_llama

    return write_tiny_llama(tmp_path_factory.mktemp("tiny-hf") / "model")


@pytest.fixture(scope="session")
def tiny_quantized(tiny_hf: Path, tmp_path_factory: pytest.TempPathFactory):
    """method -> (folder, record) of the tiny model quantized 4-bit, group 32 (made on first request)."""
    from qframe_transformers.calibration import CalibrationSpec
    from qframe_transformers.quantize import quantize_checkpoint

    made: dict[str, tuple[Path, dict]] = {}

    def quantized(method: str) -> tuple[Path, dict]:
        if method not in made:
            out = tmp_path_factory.mktemp(f"tiny-{method}") / "model"
            spec = CalibrationSpec(samples=8, sequence_length=32, seed=1)
            made[method] = (out, quantize_checkpoint(tiny_hf, method, 4, 32, out, spec, log=lambda _: None))
        return made[method]

    return quantized
