"""Shared fixtures: the tiny hermetic llama model and its quantized variants, written once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny")


@pytest.fixture(scope="session")
def tiny_model(tiny_dir: Path) -> Path:
    """The tiny llama GGUF in F32."""
    pytest.importorskip("gguf")
    from qframe_llamacpp.tiny_model import write_tiny_llama

    return write_tiny_llama(tiny_dir / "tiny.gguf")


@pytest.fixture(scope="session")
def tiny_variant(tiny_model: Path, tiny_dir: Path) -> Callable[[str], Path]:
    """label -> the tiny model quantized with that label by llama.cpp (made on first request)."""
    pytest.importorskip("llama_cpp")
    from qframe_llamacpp.quantize import quantize

    made: dict[str, Path] = {}

    def variant(label: str) -> Path:
        if label not in made:
            made[label] = quantize(tiny_model, tiny_dir / f"tiny-{label}.gguf", label)
        return made[label]

    return variant
