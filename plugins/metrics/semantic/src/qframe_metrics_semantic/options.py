"""Checking a semantic metric's options, with one-line errors that name the option."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qframe.plugin_api.errors import ConfigError


def check_known(metric: str, options: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(f"metric {metric}: options.{unknown[0]}: unknown option; allowed: {', '.join(allowed)}")


def positive_int(metric: str, options: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = options.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"metric {metric}: options.{key}: must be a positive integer, got {value!r}")
    return value
