"""Helpers shared by the conformance suites: resolving a factory, failing with a rule's name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import pytest

from qframe.plugin_api.errors import MissingCapabilityError
from qframe.plugin_api.plugins import get_host


def resolve_factory(kind: str, target: str | Callable[..., Any]) -> Callable[..., Any]:
    """``target`` itself when it is a factory, else the factory installed plugins register under that name."""
    if callable(target):
        return target
    if not target:
        pytest.fail(f"set the {kind[:-1]} class attribute to a registered name or a factory", pytrace=False)
    return get_host().get(kind, target).factory


def broken(rule: str, detail: str) -> NoReturn:
    """Fail the test, naming the contract rule that was broken."""
    pytest.fail(f"conformance rule broken: {rule}: {detail}", pytrace=False)


def check(condition: object, rule: str, detail: str) -> None:
    if not condition:
        broken(rule, detail)


def check_capability_error(exc: BaseException | None, rule: str, capability: str) -> None:
    """An undeclared capability must be refused with a one-line MissingCapabilityError."""
    if exc is None:
        broken(
            rule,
            f"the plugin declares no {capability} support, yet the call succeeded instead of raising MissingCapabilityError",
        )
    check(
        isinstance(exc, MissingCapabilityError),
        rule,
        f"asking for {capability} raised {type(exc).__name__}, expected MissingCapabilityError",
    )
    message = str(exc)
    check(
        message.strip() and "\n" not in message.strip(),
        rule,
        f"the capability error must be one non-empty line, got {message!r}",
    )
