"""What the daemon says about a tag, turned into the run manifest's :class:`ModelInfo`.

``/api/tags`` gives the tag's digest (the SHA-256 of its manifest, which changes when any layer
changes: weights, template or parameters) and its size; ``/api/show`` gives the template and the
Modelfile parameters the daemon applies, the weights blob, the architecture and the parameter
count. Both are recorded, so a resumed run can refuse a tag that changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from qframe.data.model_shape import GGUF_SHAPE_KEYS
from qframe.plugin_api.protocols import ModelInfo

_WEIGHTS_BLOB = re.compile(r"^FROM\s+\S*sha256[-:]([0-9a-f]{64})\s*$", re.MULTILINE)


def full_tag(name: str) -> str:
    """A model name as the daemon lists it: the tag defaults to ``latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def find_tag(name: str, listed: Sequence[Any]) -> Any | None:
    """The ``/api/tags`` entry of ``name`` (``model`` or ``name`` field), or None."""
    wanted = full_tag(name)
    for entry in listed:
        if full_tag(_field(entry, "model") or _field(entry, "name") or "") == wanted:
            return entry
    return None


def parse_parameters(text: str | None) -> dict[str, Any]:
    """The Modelfile parameters ``/api/show`` prints, one ``name value`` a line.

    Quoted values are strings, bare numbers are numbers, and a name given on several lines (such
    as ``stop``) collects its values in a list.
    """
    collected: dict[str, list[Any]] = {}
    for line in (text or "").splitlines():
        name, _, raw = line.strip().partition(" ")
        if name:
            collected.setdefault(name, []).append(_parameter_value(raw.strip()))
    return {name: values if name == "stop" or len(values) > 1 else values[0] for name, values in collected.items()}


def _parameter_value(raw: str) -> Any:
    if raw.startswith('"'):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw.strip('"')
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def model_info(
    tag: str, quant: str, listed: Any, shown: Any, server_version: str | None, parameters: Mapping[str, Any]
) -> ModelInfo:
    """The manifest entry of one tag from its ``/api/tags`` entry and its ``/api/show`` reply."""
    details = _as_dict(_field(shown, "details") or _field(listed, "details"))
    info = dict(_field(shown, "modelinfo") or {})
    architecture = info.get("general.architecture")
    count = info.get("general.parameter_count")
    size = _field(listed, "size")
    weights = _WEIGHTS_BLOB.search(_field(shown, "modelfile") or "")
    shape = {
        name: info[f"{architecture}.{key}"] for name, key in GGUF_SHAPE_KEYS.items() if f"{architecture}.{key}" in info
    }
    return ModelInfo(
        model=tag,
        digest=str(_field(listed, "digest") or ""),
        quant=quant or str(details.get("quantization_level") or ""),
        engine=f"ollama {server_version}" if server_version else "ollama",
        size_bytes=int(size) if size else None,
        parameters=int(count) if count else None,
        # From the tag's size, which also holds the tokenizer and metadata: a little above the
        # bits of the weight tensors alone.
        bits_per_weight=int(size) * 8 / int(count) if size and count else None,
        details={
            **details,
            "architecture": architecture,
            "context_length": info.get(f"{architecture}.context_length"),
            "weights_sha256": weights.group(1) if weights else None,
            "template": _field(shown, "template"),
            "modelfile_parameters": parameters,
            "capabilities": list(_field(shown, "capabilities") or []),
            **shape,
        },
    )


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if hasattr(obj, "model_dump"):
        return {key: value for key, value in obj.model_dump().items() if value is not None}
    return dict(obj)
