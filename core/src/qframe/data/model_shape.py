"""The architecture sizes a KV-cache estimate needs, as every backend reports them.

Backends put these keys in ``ModelInfo.details`` (each only where the model states it):
``n_layer`` (transformer blocks), ``n_embd`` (hidden width), ``n_head`` (attention heads),
``n_head_kv`` (key/value heads: fewer than ``n_head`` with grouped-query attention), ``head_dim``
(width of one key head) and ``head_dim_v`` (of one value head, where it differs). Gemma and
Llama-3 class models have ``head_dim != n_embd / n_head`` or ``n_head_kv < n_head``, which is
why the estimate (:mod:`qframe.analysis.resources`) reads these rather than deriving them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GGUF_SHAPE_KEYS = {
    "n_layer": "block_count",
    "n_embd": "embedding_length",
    "n_head": "attention.head_count",
    "n_head_kv": "attention.head_count_kv",
    "head_dim": "attention.key_length",
    "head_dim_v": "attention.value_length",
}
"""Shape names -> the GGUF metadata key after ``<architecture>.``."""

HF_SHAPE_KEYS = {
    "n_layer": ("num_hidden_layers", "n_layer", "num_layers"),
    "n_embd": ("hidden_size", "n_embd", "d_model"),
    "n_head": ("num_attention_heads", "n_head"),
    "n_head_kv": ("num_key_value_heads", "multi_query_group_num"),
    "head_dim": ("head_dim",),
}
"""Shape names -> the keys a Hugging Face ``config.json`` may use for them, in order of preference."""


def shape_from_hf_config(config: Mapping[str, Any]) -> dict[str, int]:
    """The shape keys of a Hugging Face model config (a multimodal config's ``text_config`` first).

    A config without ``num_key_value_heads`` has one KV head per attention head (no GQA); one
    without ``head_dim`` has ``hidden_size / num_attention_heads``; both are then stated here so
    the estimate never guesses.
    """
    text = config.get("text_config") if isinstance(config.get("text_config"), Mapping) else config
    shape: dict[str, int] = {}
    for name, keys in HF_SHAPE_KEYS.items():
        value = next((text[key] for key in keys if isinstance(text.get(key), int)), None)
        if value is not None:
            shape[name] = value
    if "n_head" in shape:
        shape.setdefault("n_head_kv", shape["n_head"])
        if "n_embd" in shape:
            shape.setdefault("head_dim", shape["n_embd"] // shape["n_head"])
    return shape
