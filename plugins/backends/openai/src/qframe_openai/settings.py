"""The options of backend ``openai`` (a variant's ``options`` table), checked with one-line errors.

- ``base_url``: the server, with or without a trailing ``/v1`` (default ``http://127.0.0.1:8080``,
  llama-server's address);
- ``model``: the model name sent in each request (default: the variant's ``model``);
- ``api_key_env``: the name of an environment variable holding the API key, sent as a Bearer
  token; the key itself is never written to the config or the manifest;
- ``stream``: stream replies and measure the time to the first token (default false);
- ``timeout_s`` (per request, default 300) and ``connect_timeout_s`` (default 10);
- ``concurrency``: requests in flight when the server does not report its slot count (default 1);
- ``extra_body``: a table of fields added verbatim to every request body (``top_k``,
  ``repeat_penalty``, ``cache_prompt``...); they win over the fields qframe sets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs
from qframe.plugin_api.errors import ConfigError

OPTIONS = ("base_url", "model", "api_key_env", "stream", "timeout_s", "connect_timeout_s", "concurrency", "extra_body")
DEFAULT_BASE_URL = "http://127.0.0.1:8080"


@attrs.frozen
class OpenAISettings:
    base_url: str
    model: str
    api_key_env: str | None
    stream: bool
    timeout_s: float
    connect_timeout_s: float
    concurrency: int
    extra_body: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    def api_key(self) -> str | None:
        """The key read from ``api_key_env`` now; a named variable that is unset is an error."""
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ConfigError(f"backend 'openai': environment variable {self.api_key_env} (api_key_env) is not set")
        return key

    def describe(self) -> dict[str, Any]:
        """What the manifest records of these settings (never the key, only its variable's name)."""
        return {
            "base_url": self.base_url,
            "model": self.model,
            "api_key_env": self.api_key_env,
            "stream": self.stream,
            "timeout_s": self.timeout_s,
            "connect_timeout_s": self.connect_timeout_s,
            "extra_body": dict(self.extra_body),
        }


def read_settings(model: str, options: Mapping[str, Any]) -> OpenAISettings:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"backend 'openai': unknown option {unknown[0]!r}; allowed: {', '.join(OPTIONS)}")
    return OpenAISettings(
        base_url=_base_url(_text(options, "base_url", DEFAULT_BASE_URL)),
        model=_text(options, "model", model),
        api_key_env=_text(options, "api_key_env", None),
        stream=_flag(options, "stream", False),
        timeout_s=_positive(options, "timeout_s", 300.0, float),
        connect_timeout_s=_positive(options, "connect_timeout_s", 10.0, float),
        concurrency=_positive(options, "concurrency", 1, int),
        extra_body=_table(options, "extra_body"),
    )


def _base_url(url: str) -> str:
    """The server root: no trailing slash, no trailing ``/v1`` (endpoints add it)."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"backend 'openai': base_url must start with http:// or https://, got {url!r}")
    root = url.rstrip("/")
    return root.removesuffix("/v1")


def _fail(key: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"backend 'openai': option {key!r} must be {expected}, got {value!r}")


def _text(options: Mapping[str, Any], key: str, default: str | None) -> Any:
    value = options.get(key, default)
    if value is not None and (not isinstance(value, str) or not value):
        raise _fail(key, "a non-empty string", value)
    return value


def _flag(options: Mapping[str, Any], key: str, default: bool) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise _fail(key, "true or false", value)
    return value


def _positive(options: Mapping[str, Any], key: str, default: float, kind: type) -> Any:
    value = options.get(key, default)
    accepted = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, accepted) or value <= 0:
        raise _fail(key, f"a positive {kind.__name__}", value)
    return kind(value)


def _table(options: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = options.get(key, {})
    if not isinstance(value, Mapping):
        raise _fail(key, "a table", value)
    return dict(value)
