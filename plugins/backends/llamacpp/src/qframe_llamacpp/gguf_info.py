"""What a GGUF file holds: digest, size, architecture, tensor types and effective bits per weight.

Everything is read from the file itself (header and tensor table, via ``gguf.GGUFReader``), never
from its name: a file called ``Q4_K_M`` may hold many other types where rows did not fit.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
from qframe.data.model_shape import GGUF_SHAPE_KEYS

GGUF_MAGIC = b"GGUF"
_HASH_CHUNK_BYTES = 1024 * 1024
_FLOAT_TYPE_NAMES = frozenset({"F32", "F16", "BF16"})


@attrs.frozen
class TensorSummary:
    """One tensor of a GGUF file: its name, storage type and shape (``ne0`` first, as GGUF stores it)."""

    name: str
    type_name: str
    shape: tuple[int, ...]
    n_elements: int

    @property
    def is_matrix(self) -> bool:
        """True for tensors of two or more dimensions: the weights that quantization acts on."""
        return len(self.shape) >= 2

    @property
    def is_float(self) -> bool:
        """True when stored unquantized (F32, F16 or BF16)."""
        return self.type_name in _FLOAT_TYPE_NAMES


@attrs.frozen
class GgufInfo:
    """Facts about one GGUF file.

    ``tensor_types`` counts tensors per storage type; ``tensor_type_elements`` weighs the same
    histogram by element count. ``bits_per_weight`` is the tensor data size in bits divided by the
    number of elements, computed from each tensor's type (block size and bytes per block), so it
    excludes the header and metadata.
    """

    path: Path
    sha256: str
    size_bytes: int
    architecture: str
    parameter_count: int
    tensor_types: dict[str, int]
    tensor_type_elements: dict[str, int]
    bits_per_weight: float
    context_length: int | None
    file_type: str
    tensors: tuple[TensorSummary, ...]
    shape: dict[str, int] = attrs.field(factory=dict)
    """Architecture sizes a KV-cache estimate needs (:mod:`qframe.data.model_shape`), each present
    only when the file's metadata has it."""

    @property
    def is_quantized(self) -> bool:
        """True when any weight matrix is stored in a type other than F32, F16 or BF16."""
        return any(t.is_matrix and not t.is_float for t in self.tensors)


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks so large models never sit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def weights_sha256(path: str | Path) -> str:
    """SHA-256 of a GGUF's tensors alone (each one's name, type, shape and data bytes, in file
    order): two files that differ only in metadata (the file type label) share it."""
    digest = hashlib.sha256()
    for tensor in open_gguf(path).tensors:
        digest.update(f"{tensor.name}\x1f{tensor.tensor_type.name}\x1f{tuple(int(d) for d in tensor.shape)}\x1f".encode())
        digest.update(memoryview(tensor.data).cast("B"))
    return digest.hexdigest()


def require_gguf_magic(path: str | Path) -> None:
    """Raise ``ValueError`` ("not a GGUF file: PATH") unless the file starts with the GGUF magic."""
    with open(path, "rb") as stream:
        if stream.read(len(GGUF_MAGIC)) != GGUF_MAGIC:
            raise ValueError(f"not a GGUF file: {path}")


def open_gguf(path: str | Path) -> Any:
    """A ``gguf.GGUFReader`` over ``path``; ``ValueError`` naming the path when it is not GGUF."""
    require_gguf_magic(path)
    try:
        return _plain_array_reader()(path)
    except (ValueError, KeyError, IndexError) as error:
        if "cannot reshape" in str(error):  # gguf-py maps each tensor's bytes; a short file leaves too few
            raise ValueError(f"truncated GGUF file: {path}: its tensor data ends early ({error})") from None
        raise ValueError(f"unreadable GGUF file: {path}: {error}") from None


def check_gguf_file(path: str | Path) -> None:
    """Raise ``ValueError`` naming the problem unless ``path`` is a complete, readable GGUF file.

    Cheap: parses the header and tensor table (memory-mapped, no hashing) and checks that the
    file holds every tensor's bytes, so a truncated download fails here and not mid-run.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"model file not found: {path}")
    if not path.is_file():
        raise ValueError(f"model path is not a file: {path}")
    if not os.access(path, os.R_OK):
        raise ValueError(f"model file is not readable: {path}")
    reader = open_gguf(path)
    needed = max((int(t.data_offset) + int(t.n_bytes) for t in reader.tensors), default=0)
    size = path.stat().st_size
    if size < needed:
        raise ValueError(f"truncated GGUF file: {path}: {size} bytes, its tensors need {needed}")


@functools.cache
def _plain_array_reader() -> type:
    """``gguf.GGUFReader`` parsing a plain ndarray view of its memory map instead of the map.

    The reader slices its ``data`` once or twice per metadata value, and every slice of an
    ``np.memmap`` pays for memmap bookkeeping; a vocabulary of 50k tokens makes that seconds.
    Slices of a plain view of the same mapped bytes are 3-4 times cheaper and read identically.
    Should a gguf release stop using the ``data`` attribute, the property goes unused and
    parsing is merely slower.
    """
    import gguf

    class PlainArrayReader(gguf.GGUFReader):
        @property
        def data(self) -> Any:
            return self._plain_data

        @data.setter
        def data(self, mapped: Any) -> None:
            import numpy as np

            self._plain_data = mapped.view(np.ndarray)

    return PlainArrayReader


def metadata_value(reader: Any, key: str) -> Any:
    """The value of a scalar or string metadata key, or None when the file lacks it."""
    field = reader.get_field(key)
    return None if field is None else field.contents()


def file_type_label(ftype: int | None) -> str:
    """A short label for ``general.file_type``: ``Q4_K_M`` for ``MOSTLY_Q4_K_M``, ``F32`` for ``ALL_F32``."""
    import gguf

    if ftype is None:
        return "unknown"
    try:
        name = gguf.LlamaFileType(ftype).name
    except ValueError:
        return f"ftype {ftype}"
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def tensor_bits(type_name: str, n_elements: int) -> int:
    """Bits that ``n_elements`` values occupy in a GGML type, from the type's block layout."""
    import gguf

    block_size, bytes_per_block = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType[type_name]]
    return n_elements // block_size * bytes_per_block * 8


def inspect_gguf(path: str | Path) -> GgufInfo:
    """Read a GGUF file's header and tensor table and hash its bytes.

    Raises ``ValueError`` ("not a GGUF file: PATH") for anything that is not GGUF, and
    ``OSError`` when the file cannot be read.
    """
    path = Path(path)
    reader = open_gguf(path)
    tensors = tuple(
        TensorSummary(
            name=t.name,
            type_name=t.tensor_type.name,
            shape=tuple(int(d) for d in t.shape),
            n_elements=int(t.n_elements),
        )
        for t in reader.tensors
    )
    architecture = metadata_value(reader, "general.architecture") or "unknown"
    context_length = metadata_value(reader, f"{architecture}.context_length")
    shape = {
        name: int(value)
        for name, key in GGUF_SHAPE_KEYS.items()
        if isinstance(value := metadata_value(reader, f"{architecture}.{key}"), int | float)
    }
    type_counts: Counter[str] = Counter()
    type_elements: Counter[str] = Counter()
    for tensor in tensors:
        type_counts[tensor.type_name] += 1
        type_elements[tensor.type_name] += tensor.n_elements
    total_elements = sum(type_elements.values())
    total_bits = sum(tensor_bits(t.type_name, t.n_elements) for t in tensors)
    return GgufInfo(
        path=path,
        sha256=file_sha256(path),
        size_bytes=path.stat().st_size,
        architecture=architecture,
        parameter_count=total_elements,
        tensor_types=dict(type_counts.most_common()),
        tensor_type_elements=dict(type_elements.most_common()),
        bits_per_weight=total_bits / total_elements if total_elements else 0.0,
        context_length=None if context_length is None else int(context_length),
        file_type=file_type_label(metadata_value(reader, "general.file_type")),
        tensors=tensors,
        shape=shape,
    )
