"""The options of the ``llm`` and ``pairwise`` judges, read from their config table with checks.

Shared options: ``backend`` and ``model`` (required: any registered backend and its model
string), ``backend_options`` (the backend's own options table), ``max_tokens`` (256),
``seed`` (42: the generation seed, and for ``pairwise`` the A/B order), ``concurrency``
(default: the backend's), ``timeout_s`` (120 per call), ``attempts`` (3, for transient backend
failures), ``chat`` (true: send the prompt as a chat turn), ``system`` (a system prompt),
``confidence`` (read a ``CONFIDENCE:`` line; default true for ``pairwise``), ``tasks`` (task
ids to judge; others get ``n/a``) and ``templates`` (kind -> template file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from qframe.plugin_api.errors import ConfigError

COMMON_OPTIONS = (
    "backend",
    "model",
    "backend_options",
    "max_tokens",
    "seed",
    "concurrency",
    "timeout_s",
    "attempts",
    "chat",
    "system",
    "confidence",
    "tasks",
    "templates",
)


@attrs.frozen
class JudgeSettings:
    backend: str
    model: str
    backend_options: Mapping[str, Any] = attrs.field(hash=False)
    max_tokens: int
    seed: int
    concurrency: int | None
    timeout_s: float
    attempts: int
    chat: bool
    system: str | None
    confidence: bool
    tasks: tuple[str, ...] | None
    templates: Mapping[str, str] = attrs.field(hash=False)


class OptionReader:
    """Typed access to a judge's config table; every problem is a one-line ConfigError."""

    def __init__(self, judge: str, config: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        self.judge = judge
        self.config = config
        unknown = sorted(key for key in config if key not in allowed)
        if unknown:
            raise ConfigError(f"{judge} judge: unknown option {unknown[0]!r}; allowed: {', '.join(allowed)}")

    def fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"{self.judge} judge: '{key}' must be {expected}, got {self.config.get(key)!r}")

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.config.get(key, default)
        if value is not None and (not isinstance(value, str) or not value):
            raise self.fail(key, "a non-empty string")
        return value

    def required_text(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise ConfigError(f"{self.judge} judge: '{key}' is required (which model judges)")
        return value

    def positive(self, key: str, default: float, kind: type) -> Any:
        value = self.config.get(key, default)
        accepted = (int,) if kind is int else (int, float)
        if isinstance(value, bool) or not isinstance(value, accepted) or value <= 0:
            raise self.fail(key, f"a positive {kind.__name__}")
        return kind(value)

    def integer(self, key: str, default: int) -> int:
        value = self.config.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "an integer")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.config.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def table(self, key: str) -> dict[str, Any]:
        value = self.config.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(key, "a table")
        return dict(value)

    def text_table(self, key: str) -> dict[str, str]:
        value = self.table(key)
        if not all(isinstance(entry, str) and entry for entry in value.values()):
            raise self.fail(key, "a table of strings")
        return value

    def names(self, key: str) -> tuple[str, ...] | None:
        value = self.config.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
            raise self.fail(key, "a list of strings")
        return tuple(value)


def read_settings(reader: OptionReader, confidence_default: bool) -> JudgeSettings:
    concurrency = reader.config.get("concurrency")
    return JudgeSettings(
        backend=reader.required_text("backend"),
        model=reader.required_text("model"),
        backend_options=reader.table("backend_options"),
        max_tokens=reader.positive("max_tokens", 256, int),
        seed=reader.integer("seed", 42),
        concurrency=None if concurrency is None else reader.positive("concurrency", 1, int),
        timeout_s=reader.positive("timeout_s", 120.0, float),
        attempts=reader.positive("attempts", 3, int),
        chat=reader.flag("chat", True),
        system=reader.text("system"),
        confidence=reader.flag("confidence", confidence_default),
        tasks=reader.names("tasks"),
        templates=reader.text_table("templates"),
    )
