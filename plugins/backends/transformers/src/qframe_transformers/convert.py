"""An HF checkpoint folder made from a GGUF file by transformers' GGUF loader (dequantized).

Engines that read only HF folders (vLLM) can then serve the same weights as the llama.cpp
backend. The folder is written next to a record of the source's SHA-256 and reused while the
source is unchanged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .checkpoint import Checkpoint, digest, locate

RECORD_NAME = "qframe-source.json"


def hf_folder_from_gguf(source: str | Path, out_dir: str | Path, dtype: str = "float32") -> Path:
    """Write (or reuse) ``out_dir`` holding ``source`` as safetensors in ``dtype``."""
    import torch

    checkpoint = locate(source)
    if not checkpoint.gguf_file:
        raise ValueError(f"{source}: not a .gguf file")
    out_dir = Path(out_dir)
    wanted = {"source_sha256": digest(checkpoint), "dtype": dtype}
    try:
        if json.loads((out_dir / RECORD_NAME).read_text()) == wanted:
            return out_dir
    except (OSError, ValueError):
        pass
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model, tokenizer = load_dense(checkpoint, getattr(torch, dtype))
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    (partial / RECORD_NAME).write_text(json.dumps(wanted) + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.rename(out_dir)
    return out_dir


def load_dense(checkpoint: Checkpoint, dtype: Any = "auto") -> tuple[Any, Any]:
    """Model and tokenizer of a checkpoint, a GGUF source as a plain dense model that saves as one.

    transformers dequantizes a GGUF when loading but keeps its GGUF quantizer and settings, which
    refuse to be saved and would describe weights the saved folder does not hold: both are dropped.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    extra = {"gguf_file": checkpoint.gguf_file} if checkpoint.gguf_file else {}
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint.folder), **extra)
    model = AutoModelForCausalLM.from_pretrained(str(checkpoint.folder), dtype=dtype, **extra)
    if checkpoint.gguf_file:
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    return model, tokenizer
