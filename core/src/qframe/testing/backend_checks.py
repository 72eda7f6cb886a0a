"""The pieces ``BackendConformance`` checks with: the backends one check opens, and the
rules a result must follow (top-k entries, log-likelihood values)."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import attrs

from qframe.plugin_api.protocols import Backend, BackendSpec, GenerationResult, ModelInfo
from qframe.testing._support import check

Check = Callable[["BackendMaker"], Awaitable[None]]


@attrs.frozen
class Target:
    """The models and options one test class checks."""

    model: str
    other_model: str
    options: Mapping[str, Any]


class BackendMaker:
    """Builds and opens backends for one check; closes every one it opened."""

    def __init__(
        self, factory: Callable[[BackendSpec], Backend], name: str, options: Mapping[str, Any], seed: int
    ) -> None:
        self.factory, self.name, self.options, self.seed = factory, name, options, seed
        self.opened: list[Backend] = []

    def build(self, model: str, options: Mapping[str, Any] | None = None, top_logprobs: int = 0) -> Backend:
        spec = BackendSpec(
            backend=self.name,
            model=model,
            seed=self.seed,
            options={**self.options, **(options or {})},
            top_logprobs=top_logprobs,
        )
        return self.factory(spec)

    async def open(
        self, model: str, top_logprobs: int = 0, options: Mapping[str, Any] | None = None
    ) -> tuple[Backend, ModelInfo]:
        backend = self.build(model, options, top_logprobs)
        self.opened.append(backend)
        info = await backend.open()
        return backend, info

    async def close_all(self) -> None:
        for backend in self.opened:
            await backend.close()


def backend_concurrency(maker: BackendMaker) -> Any:
    return getattr(maker.opened[-1], "default_concurrency", None)


def stop_string(text: str) -> str:
    """Two visible characters from the middle of ``text`` (empty when it is too short)."""
    for start in range(max(1, len(text) // 2), len(text) - 1):
        candidate = text[start : start + 2]
        if candidate.strip() == candidate:
            return candidate
    return ""


def check_top_logprobs(result: GenerationResult, k: int, exact: bool) -> None:
    entries = result.top_logprobs
    check(entries, "top_logprobs are returned", f"asked for top_logprobs={k}, got {entries!r}")
    check(
        len(entries) == result.completion_tokens,
        "top_logprobs has one entry per generated token",
        f"{len(entries)} entries for {result.completion_tokens} completion tokens",
    )
    for position, entry in enumerate(entries):
        size_ok = len(entry) == k if exact else 1 <= len(entry) <= k
        check(size_ok, "top_logprobs has k entries", f"position {position}: {len(entry)} entries, k={k}")
        bad = {token: value for token, value in entry.items() if not (math.isfinite(value) and value <= 0)}
        check(not bad, "log-probabilities are finite and <= 0", f"position {position}: {bad!r}")
    chosen = "".join(max(entry, key=entry.__getitem__) for entry in entries)
    check(
        visible(chosen) == visible(result.text),
        "greedy: the chosen token is the most likely of top_logprobs",
        f"the most likely tokens spell {chosen!r} but the text is {result.text!r}",
    )


def visible(text: str) -> str:
    return "".join(text.replace("\u2581", " ").split())


def check_loglikelihoods(values: Sequence[float], expected: int) -> None:
    check(
        isinstance(values, list | tuple) and len(values) == expected,
        "loglikelihood returns one value per continuation",
        f"{expected} continuations, got {values!r}",
    )
    bad = [value for value in values if not (isinstance(value, float | int) and math.isfinite(value) and value <= 0)]
    check(not bad, "loglikelihood values are finite and <= 0", f"got {list(values)!r}")


def all_close(left: Sequence[float], right: Sequence[float], tolerance: float) -> bool:
    return len(left) == len(right) and all(abs(a - b) <= tolerance for a, b in zip(left, right, strict=True))
