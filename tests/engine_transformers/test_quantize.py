"""``qframe quantize`` on the tiny random llama: group-size checks, the record, and serving the result."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from qframe.plugin_api.errors import BadInputError
from qframe.data.hf_checkpoint import DTYPE_BITS, weight_files
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest
from qframe_transformers.calibration import BUILTIN_TEXTS, CalibrationSpec
from qframe_transformers.quantize import (
    LIBRARY_LOG,
    RECORD_NAME,
    calibration_shortfall,
    check_group_size,
    fitting_group_sizes,
)


def test_group_sizes_must_divide_every_width():
    assert fitting_group_sizes([576, 1536]) == [32, 64]  # SmolLM2-135M: 128 does not divide 576
    check_group_size([576, 1536], 64)
    with pytest.raises(
        BadInputError, match=r"group size 128 does not divide layer width\(s\) 576; sizes that fit: 32, 64"
    ):
        check_group_size([576, 1536], 128)
    with pytest.raises(BadInputError, match="sizes that fit: none of 32, 64, 128, 256"):
        check_group_size([100], 32)


def test_only_a_gptq_calibration_smaller_than_a_layer_input_is_flagged():
    assert calibration_shortfall("gptq", 639, 1536).startswith(
        "639 calibration tokens, fewer than the widest layer's 1536"
    )
    assert calibration_shortfall("gptq", 4000, 1536) is None
    assert calibration_shortfall("awq", 639, 1536) is None


def test_calibration_spec_is_frozen_by_its_seed(tiny_hf, tmp_path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_hf)
    spec = CalibrationSpec(samples=5, sequence_length=16, seed=3)
    ids, record = spec.tokenize(tokenizer)
    again, record_again = spec.tokenize(tokenizer)
    _, record_other = CalibrationSpec(samples=5, sequence_length=16, seed=4).tokenize(tokenizer)
    assert ids == again and record == record_again and record["token_ids_sha256"] != record_other["token_ids_sha256"]
    assert len(ids) == record["samples_used"] == 5 and all(len(row) <= 16 for row in ids)
    assert record["source"] == "builtin" and record["seed"] == 3 and len(record["source_sha256"]) == 64
    big = CalibrationSpec(samples=10_000).texts()[0]
    assert len(big) == len(BUILTIN_TEXTS)  # a small source gives all it has, recorded as samples_used
    lines = tmp_path / "calib.jsonl"
    lines.write_text('{"text": "one"}\n{"text": "two"}\nnot json\n')
    with pytest.raises(BadInputError, match="line 3 is not a JSON object"):
        CalibrationSpec(source=str(lines)).texts()


@pytest.mark.parametrize("method", ["gptq", "awq"])
def test_quantized_checkpoint_records_real_bits_and_serves(tiny_quantized, tiny_hf, method, capfd):
    from safetensors import safe_open

    folder, record = tiny_quantized(method)
    assert json.loads((folder / RECORD_NAME).read_text()) == record
    assert record["method"] == method and record["bits"] == 4 and record["group_size"] == 32
    assert record["calibration"]["samples_used"] == 8 and record["calibration"]["sequence_length"] == 32
    # effective bits per quantized weight from the tensors: 4 + scale bits / 32 (+ zero point bits / 32)
    with safe_open(str(weight_files(folder)[0]), "pt") as handle:
        names = list(handle.keys())
        scale = next(n for n in names if n.endswith(".weight_scale"))
        scale_bits = DTYPE_BITS[handle.get_slice(scale).get_dtype()]
        has_zero = any(n.endswith(".weight_zero_point") for n in names)
    assert has_zero == (method == "awq")  # GPTQ here is symmetric, AWQ asymmetric
    expected = 4 + scale_bits / 32
    if has_zero:
        zero = next(n for n in names if n.endswith(".weight_zero_point"))
        with safe_open(str(weight_files(folder)[0]), "pt") as handle:
            zero_bits = DTYPE_BITS[handle.get_slice(zero).get_dtype()] * handle.get_slice(zero).get_shape()[0]
            rows = handle.get_slice(scale).get_shape()[0]
        expected += zero_bits / rows / 32
    assert record["effective_bits_per_weight"] == pytest.approx(expected, rel=0.02)
    assert (
        record["nominal_bits_per_weight"] == 4 < record["model_bits_per_weight"] < 32
    )  # lm_head/embeddings stay float

    from qframe_transformers.backend import TransformersBackend

    async def serve():
        backend = TransformersBackend(BackendSpec("transformers", str(folder), "", 1, {"n_threads": 1}))
        info = await backend.open()
        try:
            request = GenerationRequest(prompt="The capital of France", max_tokens=4, temperature=0.0, seed=1)
            return (
                info,
                await backend.generate(request),
                await backend.loglikelihood("Water boils at", [" one", " zero"]),
            )
        finally:
            await backend.close()

    capfd.readouterr()
    info, result, scores = asyncio.run(serve())
    assert capfd.readouterr() == ("", "")  # compressed-tensors' progress bars go to the load log
    assert "Decompressing model" in Path(info.details["load_log"]).read_text()
    assert info.quant == "w4a16-g32" and info.details["quantization_config"]["quant_method"] == "compressed-tensors"
    assert info.details["weights_decompressed"] is True and "not a quantized kernel's" in info.details["kernel_note"]
    assert info.details["quantized_bits_per_weight"] == pytest.approx(record["effective_bits_per_weight"])
    assert result.completion_tokens >= 1 and len(scores) == 2 and all(s < 0 for s in scores)


def test_quantize_command_refuses_an_impossible_group_size_in_one_line(cli, tiny_hf, tmp_path):
    code, out, err = cli(
        "quantize", str(tiny_hf), "--method", "gptq", "--group-size", "48", "--out", str(tmp_path / "q")
    )
    assert code == 2
    assert "group size 48 does not divide layer width(s) 64, 128; sizes that fit: 32, 64" in err
    errors = [line for line in err.splitlines() if "error" in line.lower()]
    assert errors == [err.strip().splitlines()[-1]] and not (tmp_path / "q").exists()


def test_quantize_command_writes_a_checkpoint(cli, tiny_hf, tmp_path):
    out = tmp_path / "gptq"
    code, stdout, err = cli(
        "quantize",
        str(tiny_hf),
        "--method",
        "gptq",
        "--group-size",
        "64",
        "--samples",
        "4",
        "--seq-len",
        "16",
        "--out",
        str(out),
    )
    assert code == 0, err
    record = json.loads((out / RECORD_NAME).read_text())
    assert record["group_size"] == 64 and record["calibration"]["samples_used"] == 4
    assert f"gptq w4 g64: nominal 4 bpw, effective {record['effective_bits_per_weight']:.3f} bpw" in stdout
    # 4 samples of at most 16 tokens against MLP inputs of 128: the GPTQ Hessian is rank-deficient
    tokens = record["calibration"]["tokens"]
    assert tokens < 128 and f"quantize: warning: {tokens} calibration tokens, fewer than the widest layer's 128" in err
    assert "rank-deficient" in record["calibration"]["warning"]
    code, _, err = cli("quantize", str(tiny_hf), "--method", "gptq", "--out", str(out))
    assert code == 2 and "output folder exists and is not empty" in err


def test_quantize_command_keeps_library_output_in_its_log(tiny_hf, tmp_path):
    """llm-compressor's per-layer log, progress bars and warnings go to quantize.log; the terminal
    gets qframe's own lines only."""
    out = tmp_path / "awq"
    command = [sys.executable, "-m", "qframe", "quantize", str(tiny_hf), "--method", "awq", "--group-size", "32"]
    done = subprocess.run(
        [*command, "--samples", "4", "--seq-len", "16", "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert [line.split(":")[0] for line in done.stderr.splitlines()] == ["quantize", "quantize"], done.stderr
    assert done.stdout.splitlines() == [done.stdout.strip()] and done.stdout.startswith("awq w4 g32:")
    library_log = (out / LIBRARY_LOG).read_text()
    assert "Compression lifecycle" in library_log and "Calibrating" in library_log
    assert json.loads((out / RECORD_NAME).read_text())["library_log"] == LIBRARY_LOG


def test_a_gguf_source_converts_and_quantizes(tmp_path):
    """transformers' GGUF loader keeps a GGUF quantizer that refuses to save: both paths drop it."""
    from qframe_llamacpp.tiny_model import write_tiny_llama
    from qframe_transformers.checkpoint import locate, weight_stats
    from qframe_transformers.convert import RECORD_NAME as SOURCE_RECORD
    from qframe_transformers.convert import hf_folder_from_gguf
    from qframe_transformers.quantize import quantize_checkpoint

    gguf = write_tiny_llama(tmp_path / "tiny.gguf")
    folder = hf_folder_from_gguf(gguf, tmp_path / "hf", "float32")
    assert "quantization_config" not in json.loads((folder / "config.json").read_text())
    assert weight_stats(locate(folder)).parameters == weight_stats(locate(gguf)).parameters
    mtime = (folder / SOURCE_RECORD).stat().st_mtime_ns
    assert hf_folder_from_gguf(gguf, tmp_path / "hf", "float32") == folder  # reused while the source is unchanged
    assert (folder / SOURCE_RECORD).stat().st_mtime_ns == mtime

    spec = CalibrationSpec(samples=4, sequence_length=16)
    record = quantize_checkpoint(gguf, "gptq", 4, 32, tmp_path / "q", spec, log=lambda _: None)
    from qframe.data.hf_checkpoint import file_sha256

    assert record["source_sha256"] == file_sha256(gguf) and record["effective_bits_per_weight"] > 4
    config = json.loads((tmp_path / "q" / "config.json").read_text())
    assert config["quantization_config"]["quant_method"] == "compressed-tensors"
