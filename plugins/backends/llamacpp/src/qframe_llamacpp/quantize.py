"""Quantize a GGUF with llama.cpp's own quantizer, by ladder label (``Q4_K_M``, ``Q8_0`` ...).

Only the labels llama.cpp can produce without an importance matrix are offered. A label names a
*mix*: llama.cpp gives some tensors (the output matrix, some value and down projections) more
bits than the label's main type. :data:`MIX_TYPES` records which GGML types each mix assigns on
purpose, so a type outside that set in a written file is a fallback, not part of the recipe.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

from .atomic import atomic_output
from .gguf_info import require_gguf_magic

_K_MIX_HIGH = frozenset({"Q4_K", "Q5_K", "Q6_K"})
_LEGACY_MIX_HIGH = frozenset({"Q6_K"})

MIX_TYPES: dict[str, frozenset[str]] = {
    "F16": frozenset({"F16"}),
    "BF16": frozenset({"BF16"}),
    "Q8_0": frozenset({"Q8_0"}),
    "Q6_K": frozenset({"Q6_K"}),
    "Q5_K_M": frozenset({"Q5_K", "Q6_K"}),
    "Q5_K_S": frozenset({"Q5_K", "Q6_K"}),
    "Q5_1": frozenset({"Q5_1"}) | _LEGACY_MIX_HIGH,
    "Q5_0": frozenset({"Q5_0"}) | _LEGACY_MIX_HIGH,
    "Q4_K_M": _K_MIX_HIGH,
    "Q4_K_S": _K_MIX_HIGH,
    "Q4_1": frozenset({"Q4_1"}) | _LEGACY_MIX_HIGH,
    "Q4_0": frozenset({"Q4_0"}) | _LEGACY_MIX_HIGH,
    "IQ4_XS": frozenset({"IQ4_XS"}) | _K_MIX_HIGH,
    "IQ4_NL": frozenset({"IQ4_NL"}) | _K_MIX_HIGH,
    "Q3_K_L": frozenset({"Q3_K"}) | _K_MIX_HIGH,
    "Q3_K_M": frozenset({"Q3_K"}) | _K_MIX_HIGH,
    "Q3_K_S": frozenset({"Q3_K"}) | _K_MIX_HIGH,
    "Q2_K": frozenset({"Q2_K", "Q3_K"}) | _K_MIX_HIGH,
}
"""Ladder label -> GGML type names llama.cpp's mix for that label assigns to a dense model's
matrices when their rows are a multiple of 256 wide."""


def __getattr__(name: str) -> Any:
    """Build ``QUANT_FTYPES`` on first use, so importing this module does not load llama.cpp."""
    if name == "QUANT_FTYPES":
        return quant_ftypes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def quant_ftypes() -> dict[str, int]:
    """Ladder label -> ``LLAMA_FTYPE_MOSTLY_*`` value, as exported by the installed llama_cpp."""
    import llama_cpp

    return {label: getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{label}") for label in MIX_TYPES}


def check_quant_label(label: str) -> str:
    """Return ``label`` if it names a known quant, else raise ``ValueError`` listing the known ones."""
    if label not in MIX_TYPES:
        raise ValueError(f"unknown quant {label!r}; known: {', '.join(MIX_TYPES)}")
    return label


def quantize(source: str | Path, destination: str | Path, quant_label: str, threads: int | None = None) -> Path:
    """Quantize ``source`` into ``destination`` with llama.cpp and return the destination.

    ``threads`` of None lets llama.cpp use every hardware thread. The output appears only once
    complete. Raises ``ValueError`` for an unknown label or a non-GGUF source and
    ``RuntimeError`` when llama.cpp reports failure (its log says why).
    """
    import llama_cpp

    check_quant_label(quant_label)
    require_gguf_magic(source)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = quant_ftypes()[quant_label]
    params.nthread = threads or 0
    with atomic_output(destination) as partial:
        status = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), ctypes.byref(params))
        if status != 0:
            raise RuntimeError(f"llama.cpp could not quantize {source} to {quant_label} (status {status})")
    return Path(destination)
