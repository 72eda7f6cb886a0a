"""Memory and cost of a variant.

Memory estimate (GB, 1e9 bytes) = parameters x effective bits per weight / 8 x overhead factor
+ KV cache at the configured context, where the KV cache is
layers x context x KV heads x (key head width + value head width) x bytes per element. The
architecture numbers come from the backend's model details (:mod:`qframe.data.model_shape`:
``n_layer``, ``n_head_kv``, ``head_dim``, ``head_dim_v``; a head width not stated is
``n_embd / n_head``, KV heads not stated are ``n_head``); without them the estimate is the
weights alone and ``kv_cache_gb`` is missing.

Cost per 1M tokens = hourly price / (native decode tokens/s x 3600) x 1e6 (seed 000).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qframe.analysis.decisions import memory_of
from qframe.config import AnalysisSection

GB = 1e9


def kv_cache_bytes(details: Mapping[str, Any], context_length: int, bytes_per_element: float) -> float | None:
    """Bytes of the K and V caches for ``context_length`` tokens, or None without the shape."""
    try:
        layers = int(details["n_layer"])
        heads = int(details.get("n_head") or details["n_head_kv"])
        kv_heads = int(details.get("n_head_kv") or heads)
        key_width = float(details.get("head_dim") or int(details["n_embd"]) / heads)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    value_width = float(details.get("head_dim_v") or key_width)
    return layers * context_length * kv_heads * (key_width + value_width) * bytes_per_element


def memory_estimate_gb(facts: Mapping[str, Any], settings: AnalysisSection) -> tuple[float | None, float | None]:
    """(total estimate, KV-cache part) in GB; None where parameters or bits per weight are unknown."""
    parameters, bits = facts.get("parameters"), facts.get("bits_per_weight")
    kv = kv_cache_bytes(facts.get("details") or {}, settings.context_length, settings.kv_bytes_per_element)
    kv_gb = kv / GB if kv is not None else None
    if not parameters or not bits:
        return None, kv_gb
    weights = parameters * bits / 8 * settings.memory_overhead
    return (weights + (kv or 0.0)) / GB, kv_gb


def cost_per_million_tokens(native_tps: float | None, hourly_price_usd: float) -> float | None:
    if not native_tps:
        return None
    return hourly_price_usd / (native_tps * 3600) * 1e6


def smallest_tier(memory_gb: float | None, tiers: Sequence[float]) -> float | None:
    """The smallest memory tier the variant fits in (None when it fits none or is unknown)."""
    if memory_gb is None:
        return None
    return next((tier for tier in sorted(tiers) if memory_gb <= tier), None)


def resource_columns(facts: Mapping[str, Any], native_tps: float | None, settings: AnalysisSection) -> dict[str, Any]:
    memory, kv = memory_estimate_gb(facts, settings)
    size = facts.get("size_bytes")
    columns = {
        "file_size_gb": size / GB if size else None,
        "memory_estimate_gb": memory,
        "kv_cache_gb": kv,
        "cost_per_mtok_usd": cost_per_million_tokens(native_tps, settings.hourly_price_usd),
    }
    return columns | {"memory_tier_gb": smallest_tier(memory_of(columns), settings.memory_tiers_gb)}
