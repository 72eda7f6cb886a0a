"""inspect_gguf: histograms, exact bits per weight, digests and the non-GGUF error."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("gguf")

from qframe_llamacpp.gguf_info import GgufInfo, inspect_gguf


def _elements(info: GgufInfo) -> tuple[int, int]:
    """(elements in matrices, elements in vectors)."""
    matrices = sum(t.n_elements for t in info.tensors if t.is_matrix)
    return matrices, info.parameter_count - matrices


def test_f32_model_facts(tiny_model: Path) -> None:
    info = inspect_gguf(tiny_model)
    assert info.architecture == "llama"
    assert info.file_type == "F32"
    assert info.context_length == 2048
    assert info.tensor_types == {"F32": len(info.tensors)}
    assert info.tensor_type_elements == {"F32": info.parameter_count}
    assert info.bits_per_weight == 32.0
    assert not info.is_quantized
    assert info.size_bytes == tiny_model.stat().st_size
    assert info.sha256 == hashlib.sha256(tiny_model.read_bytes()).hexdigest()


def test_parameter_count_is_the_sum_of_tensor_sizes(tiny_model: Path) -> None:
    info = inspect_gguf(tiny_model)
    vocabulary = next(t.shape[1] for t in info.tensors if t.name == "token_embd.weight")
    width, ffn, layers, kv_width = 256, 512, 2, 128
    per_layer = 2 * width * width + 2 * kv_width * width + 3 * ffn * width + 2 * width
    assert info.parameter_count == 2 * vocabulary * width + layers * per_layer + width


@pytest.mark.parametrize(
    ("label", "matrix_bits"),
    [("F16", 16), ("Q8_0", 8.5)],
)
def test_bits_per_weight_is_exact(tiny_variant: Callable[[str], Path], label: str, matrix_bits: float) -> None:
    info = inspect_gguf(tiny_variant(label))
    matrices, vectors = _elements(info)
    assert info.file_type == label
    assert info.tensor_types == {label: 16, "F32": 5}
    assert info.tensor_type_elements == {label: matrices, "F32": vectors}
    assert info.bits_per_weight == (matrix_bits * matrices + 32 * vectors) / (matrices + vectors)
    assert info.is_quantized is (label != "F16")


def test_non_gguf_file_is_rejected_with_its_path(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    with pytest.raises(ValueError, match=f"^not a GGUF file: {text}$"):
        inspect_gguf(text)


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.gguf"
    empty.touch()
    with pytest.raises(ValueError, match="not a GGUF file"):
        inspect_gguf(empty)


def test_truncated_gguf_is_rejected_with_its_path(tiny_model: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(tiny_model.read_bytes()[:64])
    with pytest.raises(ValueError, match=f"unreadable GGUF file: {truncated}"):
        inspect_gguf(truncated)


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        inspect_gguf(tmp_path / "absent.gguf")
