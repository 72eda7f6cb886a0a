"""dequantize_to_f16: a quantized model expands to F16 with its metadata intact and still runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("gguf")

import gguf
import numpy as np
from qframe_llamacpp.dequantize import dequantize_to_f16
from qframe_llamacpp.engine import LlamaEngine
from qframe_llamacpp.gguf_info import inspect_gguf


@pytest.fixture(scope="module")
def expanded(tiny_variant: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(quantized source, its F16 expansion)."""
    source = tiny_variant("Q4_K_M")
    return source, dequantize_to_f16(source, tmp_path_factory.mktemp("expanded") / "tiny-F16.gguf")


def _metadata(path: Path) -> dict[str, tuple[list[int], object]]:
    reader = gguf.GGUFReader(path)
    return {
        name: ([int(t) for t in field.types], field.contents())
        for name, field in reader.fields.items()
        if not name.startswith("GGUF.")
    }


def test_matrices_become_f16_and_vectors_f32(expanded: tuple[Path, Path]) -> None:
    info = inspect_gguf(expanded[1])
    assert info.file_type == "F16"
    assert not info.is_quantized
    assert {t.type_name for t in info.tensors if t.is_matrix} == {"F16"}
    assert {t.type_name for t in info.tensors if not t.is_matrix} == {"F32"}


def test_metadata_is_copied_with_its_types(expanded: tuple[Path, Path]) -> None:
    source, f16 = (_metadata(path) for path in expanded)
    assert source.pop("general.file_type")[1] == gguf.LlamaFileType.MOSTLY_Q4_K_M
    assert f16.pop("general.file_type")[1] == gguf.LlamaFileType.MOSTLY_F16
    assert f16 == source
    assert source["tokenizer.ggml.scores"][0] == [gguf.GGUFValueType.ARRAY, gguf.GGUFValueType.FLOAT32]


def test_values_are_the_dequantized_source_values(expanded: tuple[Path, Path]) -> None:
    source, f16 = (gguf.GGUFReader(path) for path in expanded)
    for original, copy in zip(source.tensors, f16.tensors, strict=True):
        assert copy.name == original.name
        assert tuple(copy.shape) == tuple(original.shape)
        expected = gguf.quants.dequantize(original.data, original.tensor_type)
        np.testing.assert_allclose(copy.data.astype(np.float32), expected, rtol=1e-3, atol=1e-6)


def test_expanded_model_loads_and_generates(expanded: tuple[Path, Path]) -> None:
    with LlamaEngine(expanded[1], n_ctx=256) as engine:
        generation = engine.generate("the cat", max_tokens=4)
    assert generation.finish_reason == "length"
    assert generation.completion_tokens >= 4


def test_non_gguf_source_is_rejected(tmp_path: Path) -> None:
    source = tmp_path / "weights.safetensors"
    source.write_bytes(b"{}")
    with pytest.raises(ValueError, match=f"not a GGUF file: {source}"):
        dequantize_to_f16(source, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()
