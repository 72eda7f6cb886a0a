"""An HF checkpoint folder made from a GGUF file by transformers' GGUF loader (dequantized).

Engines that read only HF folders (vLLM) can then serve the same weights as the llama.cpp
backend. The folder is written next to a record of the source's SHA-256 and reused while the
source is unchanged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .checkpoint import digest, locate

RECORD_NAME = "qframe-source.json"


def hf_folder_from_gguf(source: str | Path, out_dir: str | Path, dtype: str = "bfloat16") -> Path:
    """Write (or reuse) ``out_dir`` holding ``source`` as safetensors in ``dtype``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

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
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint.folder), gguf_file=checkpoint.gguf_file)
    model = AutoModelForCausalLM.from_pretrained(
        str(checkpoint.folder), gguf_file=checkpoint.gguf_file, dtype=getattr(torch, dtype)
    )
    # The loaded model is dense; the GGUF's own quantization settings must not be saved with it.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    (partial / RECORD_NAME).write_text(json.dumps(wanted) + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.rename(out_dir)
    return out_dir
