"""Turn cattrs' nested validation errors into one line: ``key.path: problem; allowed: ...``."""

from __future__ import annotations

import typing
from typing import Any

import attrs


def describe_structure_error(exc: BaseException, root: type) -> str:
    """The first problem in a (possibly nested) structuring error, with its key path."""
    path, leaf, owner = _first_leaf(exc, [], root)
    where = _format_path(path)
    return f"{where}: {_describe_leaf(leaf, owner, path)}" if where else _describe_leaf(leaf, owner, path)


def _first_leaf(exc: BaseException, path: list[str | int], owner: Any) -> tuple[list[str | int], BaseException, Any]:
    import cattrs

    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return path, exc, exc.cl
    if isinstance(exc, cattrs.BaseValidationError):
        child = exc.exceptions[0]
        step, child_owner = _step_of(child, owner)
        return _first_leaf(child, path + ([step] if step is not None else []), child_owner)
    field = getattr(exc, "field", None)  # raised by a field validator
    if field is not None:
        return path + [field], exc, None
    return path, exc, owner


def _step_of(exc: BaseException, owner: Any) -> tuple[str | int | None, Any]:
    """The key or index a nested error belongs to, and the type expected there."""
    import cattrs

    for note in getattr(exc, "__notes__", []):
        if isinstance(note, cattrs.AttributeValidationNote):
            return note.name, note.type
        if isinstance(note, cattrs.IterableValidationNote):
            return note.index, note.type
    return None, owner


def _format_path(path: list[str | int]) -> str:
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text


def _describe_leaf(leaf: BaseException, owner: Any, path: list[str | int]) -> str:
    import cattrs

    if isinstance(leaf, cattrs.ForbiddenExtraKeysError):
        unknown = ", ".join(repr(k) for k in sorted(leaf.extra_fields))
        allowed = ", ".join(f.name for f in attrs.fields(leaf.cl))
        return f"unknown key {unknown}; allowed: {allowed}"
    if isinstance(leaf, KeyError):
        return "required key is missing"
    message = str(leaf) or type(leaf).__name__
    choices = _literal_choices(owner)
    if choices:
        return f"invalid value; allowed: {', '.join(repr(c) for c in choices)}"
    if attrs.has(owner) and not message.startswith(("expected", "must")):
        return "expected a table"
    return message


def _literal_choices(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    return ()
