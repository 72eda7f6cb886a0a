"""Rewrite any GGUF as F16, so a quantized model can be re-quantized from full-width values.

llama.cpp can requantize a quantized file directly, but it then rounds already-rounded values
twice. Expanding every tensor to F16 first makes each ladder rung a single rounding away from
the best source at hand (the expanded file is, of course, no better than its source).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .atomic import save_gguf
from .gguf_info import metadata_value, open_gguf

# Reader bookkeeping ("GGUF.version" ...), keys the writer sets itself, and the layout-only
# alignment key: everything else in the source's metadata is copied as it is.
_NOT_COPIED = frozenset({"general.architecture", "general.alignment", "general.file_type"})
_INTEGER_TYPE_NAMES = frozenset({"I8", "I16", "I32", "I64"})
_F16_MAX = 65504.0


def dequantize_to_f16(source: str | Path, destination: str | Path) -> Path:
    """Write ``source`` to ``destination`` with every weight matrix as F16 and return the path.

    One-dimensional tensors (norms, biases) are written as F32, as llama.cpp's converters do;
    a matrix whose values exceed the F16 range also stays F32 rather than turning into
    infinities; integer tensors are copied unchanged. All metadata is copied, with
    ``general.file_type`` set to ``MOSTLY_F16``. Raises ``ValueError`` for a non-GGUF source or
    a tensor type that gguf-py cannot dequantize.
    """
    import gguf

    reader = open_gguf(source)
    writer = gguf.GGUFWriter(None, metadata_value(reader, "general.architecture"))
    for field in reader.fields.values():
        if not field.name.startswith("GGUF.") and field.name not in _NOT_COPIED:
            _copy_field(writer, field)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, _expanded(tensor))
    return save_gguf(writer, destination)


def _copy_field(writer: Any, field: Any) -> None:
    """Copy one metadata key with its exact GGUF value type (and element type for arrays).

    Arrays keep their element type (token scores stay FLOAT32, token types INT32). An empty
    array carries no element type and GGUF writers refuse to write one, so it is left out.
    """
    import gguf

    value_type = field.types[0]
    if value_type != gguf.GGUFValueType.ARRAY:
        writer.add_key_value(field.name, field.contents(), value_type)
        return
    if len(field.types) == 1:
        return
    if len(field.types) > 2:
        raise ValueError(f"cannot copy nested array metadata key {field.name!r}")
    writer.add_key_value(field.name, field.contents(), value_type, sub_type=field.types[1])


def _expanded(tensor: Any) -> Any:
    """The tensor's values as F16 (matrices) or F32 (vectors, out-of-range matrices)."""
    import gguf
    import numpy as np

    if tensor.tensor_type.name in _INTEGER_TYPE_NAMES:
        return np.array(tensor.data)
    try:
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
    except NotImplementedError:
        raise ValueError(f"cannot dequantize tensor {tensor.name!r} of type {tensor.tensor_type.name}") from None
    if len(tensor.shape) < 2 or np.abs(values).max() > _F16_MAX:
        return values.astype(np.float32)
    return values.astype(np.float16)
