"""quantize: labels, llama.cpp constants, and fallback-free K-quants on the 256-wide tiny model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("gguf")

import gguf
import llama_cpp
from qframe_llamacpp import quantize as quantize_module
from qframe_llamacpp.gguf_info import inspect_gguf
from qframe_llamacpp.ladder import fallback_tensors
from qframe_llamacpp.quantize import MIX_TYPES, quantize


def test_quant_ftypes_come_from_llama_cpp_and_agree_with_gguf() -> None:
    ftypes = quantize_module.QUANT_FTYPES
    assert set(ftypes) == set(MIX_TYPES)
    assert ftypes["Q4_K_M"] == llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M
    for label, value in ftypes.items():
        assert gguf.LlamaFileType[f"MOSTLY_{label}"] == value


@pytest.mark.parametrize(
    ("label", "main_type"),
    [("Q8_0", "Q8_0"), ("Q4_K_M", "Q4_K"), ("Q2_K", "Q2_K")],
)
def test_k_quants_apply_without_fallback(tiny_variant: Callable[[str], Path], label: str, main_type: str) -> None:
    info = inspect_gguf(tiny_variant(label))
    assert info.file_type == label
    assert fallback_tensors(info, label) == ()
    assert info.tensor_types[main_type] >= 9
    assert set(info.tensor_types) <= MIX_TYPES[label] | {"F32"}
    assert all(t.type_name == "F32" for t in info.tensors if not t.is_matrix)


@pytest.mark.parametrize("label", list(MIX_TYPES))
def test_every_label_writes_only_its_mix_types(tiny_variant: Callable[[str], Path], label: str) -> None:
    info = inspect_gguf(tiny_variant(label))
    assert info.file_type == label
    assert {t.type_name for t in info.tensors if t.is_matrix} <= MIX_TYPES[label]


def test_quantized_file_keeps_the_tokenizer(tiny_variant: Callable[[str], Path], tiny_model: Path) -> None:
    def tokens(path: Path) -> list[str]:
        return gguf.GGUFReader(path).get_field("tokenizer.ggml.tokens").contents()

    assert tokens(tiny_variant("Q4_K_M")) == tokens(tiny_model)


def test_unknown_label_names_the_known_ones(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^unknown quant 'Q4_K_X'; known: F16, .*Q4_K_M.*Q2_K$"):
        quantize(tiny_model, tmp_path / "out.gguf", "Q4_K_X")
    assert not list(tmp_path.iterdir())


def test_non_gguf_source_is_rejected(tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(b"\0" * 64)
    with pytest.raises(ValueError, match=f"not a GGUF file: {source}"):
        quantize(source, tmp_path / "out.gguf", "Q8_0")
    assert not (tmp_path / "out.gguf").exists()
