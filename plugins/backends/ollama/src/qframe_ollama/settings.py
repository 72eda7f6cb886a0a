"""The ``options`` of an ``ollama`` variant, checked once when the backend is built.

Sampling options the experiment does not set are still sent on every request, with the values
below, so a tag's Modelfile defaults never decide them silently and every variant of a ladder
runs with the same settings (the paired design).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from qframe.plugin_api.errors import ConfigError

DEFAULT_HOST = "http://127.0.0.1:11434"
MAX_TOP_LOGPROBS = 20
"""Ollama answers at most 20 alternatives per generated token."""
LOGPROBS_SINCE = (0, 12, 11)
"""First Ollama release whose /api/generate and /api/chat return generated-token logprobs."""


@attrs.frozen
class OllamaSettings:
    """``host``: the daemon (default ``$OLLAMA_HOST``, else 127.0.0.1:11434). ``keep_alive``: how
    long the daemon keeps the model loaded between requests. ``unload``: unload the tag when the
    variant is done, so a sequential ladder holds one model at a time. ``stream``: stream replies
    (time to first token is then measured from the first chunk). ``timeout_s``: per HTTP request
    (loading a large model can take minutes). ``num_ctx``, ``top_k``, ``top_p``: sent explicitly
    on every request.
    """

    host: str = DEFAULT_HOST
    keep_alive: str | int = "10m"
    unload: bool = True
    stream: bool = True
    timeout_s: float = 300.0
    num_ctx: int = 2048
    top_k: int = 40
    top_p: float = 0.9


_TYPES: dict[str, tuple[type, ...]] = {
    "host": (str,),
    "keep_alive": (str, int),
    "unload": (bool,),
    "stream": (bool,),
    "timeout_s": (int, float),
    "num_ctx": (int,),
    "top_k": (int,),
    "top_p": (int, float),
}


def parse_settings(options: Mapping[str, Any], environ: Mapping[str, str]) -> OllamaSettings:
    """Validate variant options into settings; every error names the option and what it accepts."""
    unknown = sorted(set(options) - set(_TYPES))
    if unknown:
        raise ConfigError(f"ollama options: unknown {', '.join(unknown)}; allowed: {', '.join(_TYPES)}")
    for name, value in options.items():
        accepted = _TYPES[name]
        if isinstance(value, bool) and bool not in accepted or not isinstance(value, accepted):
            kinds = " or ".join(kind.__name__ for kind in accepted)
            raise ConfigError(f"ollama options.{name}: expected {kinds}, got {value!r}")
    values = dict(options)
    values["host"] = normalise_host(values.get("host") or environ.get("OLLAMA_HOST") or DEFAULT_HOST)
    settings = OllamaSettings(**values)
    for name in ("timeout_s", "num_ctx", "top_k"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"ollama options.{name}: must be > 0, got {getattr(settings, name)}")
    if not 0 < settings.top_p <= 1:
        raise ConfigError(f"ollama options.top_p: must be in (0, 1], got {settings.top_p}")
    return settings


def normalise_host(host: str) -> str:
    """``host``, ``host:port`` or a URL as a base URL with scheme and port (Ollama's port 11434 by
    default), the forms ``OLLAMA_HOST`` takes."""
    from urllib.parse import urlsplit

    url = urlsplit(host if "://" in host else f"http://{host}")
    try:
        port = url.port or (443 if url.scheme == "https" else 11434)
    except ValueError:
        raise ConfigError(f"ollama options.host: not a valid address: {host!r}") from None
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"ollama options.host: expected http(s)://HOST[:PORT] or HOST[:PORT], got {host!r}")
    hostname = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
    return f"{url.scheme}://{hostname}:{port}{url.path.rstrip('/')}"
