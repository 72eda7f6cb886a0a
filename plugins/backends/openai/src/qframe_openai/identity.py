"""What the server says about the model it serves, and a stable digest of it.

An HTTP server does not hand out its weights, so the digest recorded in the manifest (and
compared on resume) is a SHA-256 of the model's identity as the server reports it:

- ``/v1/models``: the entry whose ``id`` is the requested model, keeping its stable fields
  (``id``, ``root``, ``parent``, ``owned_by``, ``max_model_len`` from vLLM, ``meta`` from
  llama-server: vocabulary, training context, parameter count and file size);
- llama-server's ``/props``: the model file path and the chat template.

Timestamps, permission ids, slot counts and build numbers are recorded but left out of the
digest: they change without the model changing. A server that reports only a name (the
llama-cpp-python server) gives a digest of that name alone, and the manifest says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import attrs
from qframe.plugin_api.errors import BackendResponseError, BadInputError

ENTRY_IDENTITY_KEYS = ("id", "root", "parent", "owned_by", "max_model_len", "meta")
PROPS_IDENTITY_KEYS = ("model_path", "chat_template")


@attrs.frozen
class ServerModel:
    """One served model as the server describes it."""

    name: str
    server: str
    entry: Mapping[str, Any] = attrs.field(hash=False)
    props: Mapping[str, Any] | None = attrs.field(default=None, hash=False)

    @property
    def identity(self) -> dict[str, Any]:
        """The fields whose change means a different model (see the module docstring)."""
        facts: dict[str, Any] = {"entry": {key: self.entry[key] for key in ENTRY_IDENTITY_KEYS if key in self.entry}}
        if self.props is not None:
            facts["props"] = {key: self.props[key] for key in PROPS_IDENTITY_KEYS if key in self.props}
        return facts

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.identity, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def slots(self) -> int | None:
        """How many requests the server computes in parallel, when it says (llama-server)."""
        slots = (self.props or {}).get("total_slots")
        return slots if isinstance(slots, int) and not isinstance(slots, bool) and slots > 0 else None

    @property
    def meta(self) -> Mapping[str, Any]:
        meta = self.entry.get("meta")
        return meta if isinstance(meta, Mapping) else {}

    def details(self) -> dict[str, Any]:
        """Everything worth keeping in the manifest, the digest's inputs included."""
        props = self.props or {}
        settings = props.get("default_generation_settings")
        return {
            "server": self.server,
            "digest_of": "server-reported identity: " + ", ".join(_identity_fields(self.identity)),
            "identity": self.identity,
            "total_slots": self.slots,
            "n_ctx": settings.get("n_ctx") if isinstance(settings, Mapping) else None,
            "build_info": props.get("build_info"),
        }


def find_model(models_reply: Any, name: str, where: str) -> Mapping[str, Any]:
    """The ``/v1/models`` entry of ``name``; a model the server does not list is a bad input."""
    entries = models_reply.get("data") if isinstance(models_reply, Mapping) else None
    if not isinstance(entries, list) or not all(isinstance(entry, Mapping) and "id" in entry for entry in entries):
        raise BackendResponseError(f"{where}/v1/models: reply has no list of models with ids")
    for entry in entries:
        if entry["id"] == name:
            return entry
    served = ", ".join(repr(entry["id"]) for entry in entries) or "none"
    raise BadInputError(f"model {name!r} is not served at {where} (it serves: {served}); set the variant's model to one of them")


def server_kind(entry: Mapping[str, Any], props: Mapping[str, Any] | None) -> str:
    if props is not None and ("default_generation_settings" in props or "model_path" in props):
        return "llama-server"
    if entry.get("owned_by") == "vllm":
        return "vllm"
    return "openai-compatible"


def props_or_none(reply: Any) -> Mapping[str, Any] | None:
    """llama-server's ``/props`` when it is a JSON object; anything else means the server has none."""
    return reply if isinstance(reply, Mapping) else None


def _identity_fields(identity: Mapping[str, Any]) -> list[str]:
    return [f"{part}.{key}" for part, fields in identity.items() for key in fields]

