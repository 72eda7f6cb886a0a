"""What a Hugging Face checkpoint folder holds, read from its files without heavy libraries.

Used by every backend that serves HF checkpoints (transformers, vLLM) for the manifest: the
weights digest, the quantization config, and bits per weight counted from the stored tensors,
never from a label. The safetensors format is a little-endian u64 header length, a JSON header
(``dtype``, ``shape``, ``data_offsets`` per tensor) and the raw data; reading the header is all
that is needed, plus the few bytes of each compressed-tensors ``weight_shape``.

Bits per weight are every stored bit (weights, scales, zero points, group indices) divided by
the number of model weights, where a compressed-tensors layer counts the weights of its original
shape (``weight_shape``), not its packed integers. ``quantized_bits_per_weight`` is the same
ratio over the quantized layers only (GPTQ W4A16 with groups of 64 and 16-bit scales:
4 + 16/64 = 4.25, plus zero points where they are stored).
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import attrs

from qframe.plugin_api.errors import BadInputError

PACKED_SUFFIX = ".weight_packed"
AUXILIARY_SUFFIXES = (".weight_scale", ".weight_zero_point", ".weight_shape", ".weight_g_idx")
"""compressed-tensors stores a quantized layer as these tensors beside ``weight_packed``."""
DTYPE_BITS = {
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "F32": 32,
    "I32": 32,
    "U32": 32,
    "F16": 16,
    "BF16": 16,
    "I16": 16,
    "U16": 16,
    "I8": 8,
    "U8": 8,
    "F8_E4M3": 8,
    "F8_E5M2": 8,
    "BOOL": 8,
}
_INT_FORMATS = {"I64": "q", "I32": "i", "I16": "h", "I8": "b", "U64": "Q", "U32": "I", "U16": "H", "U8": "B"}
_HASH_CHUNK_BYTES = 1024 * 1024


@attrs.frozen
class WeightStats:
    """Stored size of a checkpoint's tensors and the model weights they hold."""

    size_bytes: int
    parameters: int
    bits_per_weight: float
    quantized_parameters: int = 0
    quantized_bits_per_weight: float | None = None


def model_folder(model: str | Path) -> Path:
    """The checkpoint folder a model string names; a one-line BadInputError when there is none."""
    path = Path(model).expanduser()
    if not path.exists():
        raise BadInputError(f"model not found: {path}")
    if not (path.is_dir() and (path / "config.json").is_file()):
        raise BadInputError(f"{path}: not a model folder with config.json")
    if not weight_files(path):
        raise BadInputError(f"{path}: no .safetensors weight files in the model folder")
    return path


def weight_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.safetensors"))


def read_config(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{folder / 'config.json'}: unreadable model config ({exc})") from None


def files_digest(paths: list[Path]) -> str:
    """SHA-256 of the weights: one file's own hash, else the hash of its ``name sha256`` lines."""
    hashes = [(path.name, file_sha256(path)) for path in paths]
    if len(hashes) == 1:
        return hashes[0][1]
    return hashlib.sha256("".join(f"{name} {sha}\n" for name, sha in hashes).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK_BYTES):
            sha.update(chunk)
    return sha.hexdigest()


def weight_stats(folder: Path) -> WeightStats:
    """Count bits and weights of every safetensors file in ``folder`` (see the module docstring)."""
    total_bits = parameters = quantized_bits = quantized_parameters = 0
    files = weight_files(folder)
    for path in files:
        header, data_start = _read_header(path)
        for name, entry in header.items():
            if name == "__metadata__" or name.endswith(AUXILIARY_SUFFIXES):
                continue
            bits = _bits(entry, path)
            weights = _numel(entry["shape"])
            if name.endswith(PACKED_SUFFIX):
                layer = name[: -len(PACKED_SUFFIX)]
                weights = _numel(_read_ints(path, data_start, header.get(f"{layer}.weight_shape"), layer))
                bits += sum(
                    _bits(header[aux], path) for aux in (layer + s for s in AUXILIARY_SUFFIXES) if aux in header
                )
                quantized_bits += bits
                quantized_parameters += weights
            total_bits += bits
            parameters += weights
    if parameters == 0:
        raise BadInputError(f"{folder}: the weight files hold no tensors")
    return WeightStats(
        size_bytes=sum(path.stat().st_size for path in files),
        parameters=parameters,
        bits_per_weight=total_bits / parameters,
        quantized_parameters=quantized_parameters,
        quantized_bits_per_weight=quantized_bits / quantized_parameters if quantized_parameters else None,
    )


def quantization_label(quantization: dict[str, Any] | None) -> str:
    """A short label for a config's ``quantization_config``: ``dense`` without one, ``w4a16-g64``
    for compressed-tensors 4-bit weights in groups of 64 with 16-bit activations, else its
    ``quant_method``."""
    if not quantization:
        return "dense"
    method = str(quantization.get("quant_method", "quantized"))
    groups = quantization.get("config_groups") or {}
    if method != "compressed-tensors" or not groups:
        return method
    group = next(iter(groups.values()))
    weights = group.get("weights") or {}
    activations = group.get("input_activations")
    label = f"w{weights.get('num_bits', '?')}a{activations.get('num_bits', '?') if activations else 16}"
    if weights.get("group_size"):
        label += f"-g{weights['group_size']}"
    return label


def _read_header(path: Path) -> tuple[dict[str, Any], int]:
    try:
        with path.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > path.stat().st_size - 8:
                raise ValueError(f"header length {length} exceeds the file")
            header = json.loads(handle.read(length))
    except (OSError, struct.error, ValueError) as exc:
        raise BadInputError(f"{path}: not a readable safetensors file ({exc})") from None
    if not isinstance(header, dict):
        raise BadInputError(f"{path}: safetensors header is not a JSON object")
    return header, 8 + length


def _read_ints(path: Path, data_start: int, entry: dict[str, Any] | None, layer: str) -> list[int]:
    if entry is None or entry.get("dtype") not in _INT_FORMATS:
        raise BadInputError(f"{path}: packed layer {layer} has no integer weight_shape tensor")
    start, end = entry["data_offsets"]
    fmt = _INT_FORMATS[entry["dtype"]]
    with path.open("rb") as handle:
        handle.seek(data_start + start)
        raw = handle.read(end - start)
    return list(struct.unpack(f"<{len(raw) // struct.calcsize(fmt)}{fmt}", raw))


def _bits(entry: dict[str, Any], path: Path) -> int:
    try:
        return _numel(entry["shape"]) * DTYPE_BITS[entry["dtype"]]
    except KeyError:
        raise BadInputError(f"{path}: unknown safetensors dtype {entry.get('dtype')!r}") from None


def _numel(shape: list[int]) -> int:
    count = 1
    for size in shape:
        count *= int(size)
    return count
