"""Where a model's files are for transformers: an HF checkpoint folder or a ``.gguf`` file (read
by transformers' GGUF loader, which dequantizes it into a dense model).

Folders are described by :mod:`qframe.data.hf_checkpoint`; a GGUF file's digest is its own SHA-256
(equal to the llama.cpp backend's digest of the same file) and its bits per weight come from its
tensor table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from qframe.data import hf_checkpoint
from qframe.plugin_api.errors import BadInputError
from qframe.data.hf_checkpoint import WeightStats


@attrs.frozen
class Checkpoint:
    """``folder`` and, for a GGUF source, ``gguf_file`` inside it."""

    folder: Path
    gguf_file: str | None = None

    @property
    def config(self) -> dict[str, Any]:
        """The folder's ``config.json`` ({} for a GGUF source)."""
        return {} if self.gguf_file else hf_checkpoint.read_config(self.folder)

    @property
    def quantization_config(self) -> dict[str, Any] | None:
        return self.config.get("quantization_config")

    @property
    def quant_label(self) -> str:
        return "gguf" if self.gguf_file else hf_checkpoint.quantization_label(self.quantization_config)


def locate(model: str | Path) -> Checkpoint:
    """The checkpoint a model string names; a one-line BadInputError when there is none."""
    path = Path(model).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return Checkpoint(path.parent, path.name)
    if path.is_file():
        raise BadInputError(f"{path}: not a model folder with config.json nor a .gguf file")
    return Checkpoint(hf_checkpoint.model_folder(path))


def digest(checkpoint: Checkpoint) -> str:
    if checkpoint.gguf_file:
        return hf_checkpoint.file_sha256(checkpoint.folder / checkpoint.gguf_file)
    return hf_checkpoint.files_digest(hf_checkpoint.weight_files(checkpoint.folder))


def weight_stats(checkpoint: Checkpoint) -> WeightStats:
    if not checkpoint.gguf_file:
        return hf_checkpoint.weight_stats(checkpoint.folder)
    from gguf import GGUFReader

    path = checkpoint.folder / checkpoint.gguf_file
    try:
        tensors = GGUFReader(str(path)).tensors
    except (ValueError, OSError) as exc:
        raise BadInputError(f"{path}: not a readable GGUF file ({exc})") from None
    parameters = sum(int(tensor.n_elements) for tensor in tensors)
    if parameters == 0:
        raise BadInputError(f"{path}: the GGUF file holds no tensors")
    bits = sum(int(tensor.n_bytes) * 8 for tensor in tensors)
    return WeightStats(size_bytes=path.stat().st_size, parameters=parameters, bits_per_weight=bits / parameters)
