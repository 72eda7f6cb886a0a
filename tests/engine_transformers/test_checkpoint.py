"""Locating checkpoints and describing their weights from the files (core's hf_checkpoint)."""

from __future__ import annotations

import json
import shutil

import pytest

from qframe.data import hf_checkpoint
from qframe.plugin_api.errors import BadInputError
from qframe_transformers.checkpoint import digest, locate, weight_stats


def test_locate_names_what_is_wrong(tmp_path, tiny_hf):
    with pytest.raises(BadInputError, match="model not found"):
        locate(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInputError, match="config.json"):
        locate(tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(BadInputError, match="nor a .gguf"):
        locate(tmp_path / "notes.txt")
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(tiny_hf / "config.json", bare)
    with pytest.raises(BadInputError, match="no .safetensors"):
        locate(bare)
    assert locate(tiny_hf).gguf_file is None and locate(tiny_hf).quant_label == "dense"


def test_dense_weights_count_every_parameter_at_their_stored_width(tiny_hf):
    from transformers import AutoModelForCausalLM

    stats = weight_stats(locate(tiny_hf))
    model = AutoModelForCausalLM.from_pretrained(tiny_hf)
    assert stats.parameters == model.num_parameters()
    assert stats.bits_per_weight == pytest.approx(32.0)  # float32, nothing quantized
    assert stats.quantized_parameters == 0 and stats.quantized_bits_per_weight is None


def test_digest_is_the_weights_hash_and_follows_a_change(tiny_hf, tmp_path):
    copy = shutil.copytree(tiny_hf, tmp_path / "copy")
    assert digest(locate(copy)) == digest(locate(tiny_hf)) == hf_checkpoint.file_sha256(copy / "model.safetensors")
    (copy / "model.safetensors").write_bytes((copy / "model.safetensors").read_bytes()[:-4] + b"\0\0\0\1")
    assert digest(locate(copy)) != digest(locate(tiny_hf))


def test_unreadable_safetensors_is_one_line(tiny_hf, tmp_path):
    copy = shutil.copytree(tiny_hf, tmp_path / "copy")
    (copy / "model.safetensors").write_bytes(b"\xff" * 8 + b"not json")
    with pytest.raises(BadInputError, match="not a readable safetensors file"):
        weight_stats(locate(copy))


@pytest.mark.parametrize(
    ("config", "label"),
    [
        (None, "dense"),
        ({"quant_method": "awq", "bits": 4}, "awq"),
        (
            {
                "quant_method": "compressed-tensors",
                "config_groups": {"group_0": {"weights": {"num_bits": 4, "group_size": 64}, "input_activations": None}},
            },
            "w4a16-g64",
        ),
        (
            {
                "quant_method": "compressed-tensors",
                "config_groups": {"group_0": {"weights": {"num_bits": 8}, "input_activations": {"num_bits": 8}}},
            },
            "w8a8",
        ),
    ],
)
def test_quantization_labels_come_from_the_config(config, label):
    assert hf_checkpoint.quantization_label(config) == label


def test_gguf_file_is_located_and_described_from_its_tensor_table(tmp_path):
    from qframe_llamacpp.gguf_info import inspect_gguf
    from qframe_llamacpp.tiny_model import write_tiny_llama

    path = write_tiny_llama(tmp_path / "tiny.gguf")
    checkpoint = locate(path)
    assert checkpoint.gguf_file == "tiny.gguf" and checkpoint.quant_label == "gguf"
    info = inspect_gguf(path)
    stats = weight_stats(checkpoint)
    assert digest(checkpoint) == info.sha256  # same digest as the llama.cpp backend records
    assert stats.parameters == info.parameter_count
    assert stats.bits_per_weight == pytest.approx(info.bits_per_weight)
    json.dumps(checkpoint.config)  # a GGUF source has no config.json: {}
