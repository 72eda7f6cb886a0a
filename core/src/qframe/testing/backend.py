"""``BackendConformance``: the contract the runner relies on, checked against one backend factory.

Every check builds fresh backends, opens them, calls them and closes them inside one event loop
(``asyncio.run``), so backends holding loop-bound resources (HTTP sessions) work unchanged.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pytest

from qframe.plugin_api.errors import BackendError, MissingCapabilityError, QframeError, TransientBackendError
from qframe.plugin_api.protocols import (
    Backend,
    BackendSpec,
    GenerationRequest,
    GenerationResult,
    ModelInfo,
    Requirements,
)
from qframe.testing._support import broken, check, check_capability_error, resolve_factory
from qframe.testing.backend_checks import (
    BackendMaker,
    Check,
    Target,
    all_close,
    backend_concurrency,
    check_loglikelihoods,
    check_top_logprobs,
    stop_string,
)


class BackendConformance:
    """Subclass as ``Test<Something>`` and set the class attributes below."""

    backend: ClassVar[str | Callable[[BackendSpec], Backend]] = ""
    """A registered backend name, or the factory itself."""
    model: ClassVar[str] = ""
    other_model: ClassVar[str] = ""
    """A model with different weights (its digest must differ from ``model``'s)."""
    options: ClassVar[Mapping[str, Any]] = {}
    seed: ClassVar[int] = 1234
    prompt: ClassVar[str] = "Tell me a long story about a cat and a dog."
    system: ClassVar[str] = "You are a careful assistant who answers in plain words."
    context: ClassVar[str] = "The capital of France is"
    continuations: ClassVar[tuple[str, ...]] = (" Paris", " a city", " London and more")
    max_tokens: ClassVar[int] = 12
    loglikelihood_tolerance: ClassVar[float] = 1e-3
    supports_loglikelihood: ClassVar[bool] = True
    supports_top_logprobs: ClassVar[bool] = True
    supports_system: ClassVar[bool] = True
    supports_chat: ClassVar[bool] = True
    supports_completion: ClassVar[bool] = True
    """``chat=False``: the prompt sent as plain text, without a chat template."""
    exact_top_k: ClassVar[bool] = True
    """False for an engine whose API returns k alternatives keyed by text, where tokens that
    render alike merge into one entry: each position then has 1 to k entries."""
    transient_options: ClassVar[Mapping[str, Any] | None] = None
    """Options that make every call fail transiently (an unreachable server, an injected 503);
    None when the backend has no transient failure mode (an in-process engine)."""

    @pytest.fixture
    def conformance_models(self) -> tuple[str, str]:
        """``(model, other_model)``; override as a fixture when the models are made at test time."""
        return self.model, self.other_model

    @pytest.fixture
    def conformance_options(self) -> Mapping[str, Any]:
        """The backend options; override as a fixture when they are known at test time (a server's URL)."""
        return dict(self.options)

    @pytest.fixture
    def conformance_target(self, conformance_models: tuple[str, str], conformance_options: Mapping[str, Any]) -> Target:
        return Target(*conformance_models, conformance_options)

    # -- running a check ---------------------------------------------------------------------

    def _run(self, check_: Check, target: Target) -> None:
        name = self.backend if isinstance(self.backend, str) else getattr(self.backend, "__name__", "backend")
        maker = BackendMaker(resolve_factory("backends", self.backend), name, target.options, self.seed)

        async def run() -> None:
            try:
                await check_(maker)
            finally:
                await maker.close_all()

        asyncio.run(run())

    def _request(self, **changes: Any) -> GenerationRequest:
        fields: dict[str, Any] = {
            "prompt": self.prompt,
            "max_tokens": self.max_tokens,
            "temperature": 0.0,
            "seed": self.seed,
            "chat": self.supports_chat,
        }
        return GenerationRequest(**(fields | changes))

    # -- open and digest ---------------------------------------------------------------------

    def test_open_returns_a_digest(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            _, info = await maker.open(conformance_target.model)
            check(isinstance(info, ModelInfo), "open returns ModelInfo", f"got {type(info).__name__}")
            check(
                isinstance(info.digest, str) and info.digest.strip(), "digest is non-empty", f"digest {info.digest!r}"
            )
            check(
                isinstance(backend_concurrency(maker), int) and backend_concurrency(maker) >= 1,
                "default_concurrency is a positive int",
                f"got {backend_concurrency(maker)!r}",
            )

        self._run(body, conformance_target)

    def test_digest_is_stable_across_opens(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            _, first = await maker.open(conformance_target.model)
            _, second = await maker.open(conformance_target.model)
            check(
                first.digest == second.digest,
                "digest is stable across opens",
                f"{first.digest!r} then {second.digest!r}",
            )

        self._run(body, conformance_target)

    def test_digest_differs_for_different_weights(self, conformance_target: Target) -> None:
        model, other = conformance_target.model, conformance_target.other_model
        check(
            other and other != model,
            "digest differs for different weights",
            "set other_model to a second model with different weights",
        )

        async def body(maker: BackendMaker) -> None:
            _, first = await maker.open(model)
            _, second = await maker.open(other)
            check(
                first.digest != second.digest,
                "digest differs for different weights",
                f"{model!r} and {other!r} both have digest {first.digest!r}",
            )

        self._run(body, conformance_target)

    # -- generate ----------------------------------------------------------------------------

    def test_generate_honours_max_tokens(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            result = await backend.generate(self._request(max_tokens=3))
            check(
                isinstance(result, GenerationResult),
                "generate returns GenerationResult",
                f"got {type(result).__name__}",
            )
            check(
                0 <= result.completion_tokens <= 3,
                "generate honours max_tokens",
                f"max_tokens=3 but completion_tokens={result.completion_tokens} (text {result.text!r})",
            )

        self._run(body, conformance_target)

    def test_greedy_generation_is_deterministic(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            request = self._request()
            first, second = await backend.generate(request), await backend.generate(request)
            fresh, _ = await maker.open(conformance_target.model)
            third = await fresh.generate(request)
            texts = [first.text, second.text, third.text]
            check(
                len(set(texts)) == 1,
                "greedy determinism at temperature 0 with a fixed seed",
                f"the same request gave {texts!r} (two calls, then a freshly opened backend)",
            )

        self._run(body, conformance_target)

    def test_generate_honours_stop(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            full = (await backend.generate(self._request())).text
            stop = stop_string(full)
            check(
                stop,
                "generate honours stop",
                f"the reply {full!r} is too short to pick a stop string; lengthen the prompt",
            )
            result = await backend.generate(self._request(stop=(stop,)))
            expected = full[: full.index(stop)]
            check(
                stop not in result.text and result.text.strip() == expected.strip(),
                "generate honours stop",
                f"with stop={stop!r} expected {expected!r} (the reply without stop was {full!r}), got {result.text!r}",
            )

        self._run(body, conformance_target)

    def test_generate_uses_the_system_prompt(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            error: BaseException | None = None
            try:
                with_system = await backend.generate(self._request(system=self.system))
            except QframeError as exc:
                error = exc
            if not self.supports_system:
                check_capability_error(error, "system prompt", "a system prompt")
                return
            if error is not None:
                raise error
            without = await backend.generate(self._request())
            check(
                with_system.prompt_tokens > without.prompt_tokens,
                "generate honours system",
                f"prompt_tokens is {with_system.prompt_tokens} with a system prompt and {without.prompt_tokens} without: "
                "the system prompt was not sent",
            )

        self._run(body, conformance_target)

    def test_generate_honours_chat(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            results: dict[bool, GenerationResult] = {}
            for chat, supported in ((True, self.supports_chat), (False, self.supports_completion)):
                error: BaseException | None = None
                try:
                    results[chat] = await backend.generate(self._request(chat=chat))
                except QframeError as exc:
                    error = exc
                if not supported:
                    check_capability_error(error, "chat", f"chat={chat}")
                elif error is not None:
                    raise error
            if len(results) == 2:
                check(
                    results[True].prompt_tokens != results[False].prompt_tokens,
                    "generate honours chat",
                    f"chat=True and chat=False both sent {results[True].prompt_tokens} prompt tokens: "
                    "the chat template was not applied (or applied to both)",
                )

        self._run(body, conformance_target)

    def test_top_logprobs(self, conformance_target: Target) -> None:
        k = 3

        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model, top_logprobs=k)
            error: BaseException | None = None
            try:
                result = await backend.generate(self._request(top_logprobs=k))
            except QframeError as exc:
                error = exc
            if not self.supports_top_logprobs:
                check_capability_error(error, "top_logprobs", "top_logprobs")
                return
            if error is not None:
                raise error
            check_top_logprobs(result, k, self.exact_top_k)

        self._run(body, conformance_target)

    def test_timings_are_consistent(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            result = await backend.generate(self._request())
            for field in ("prompt_eval_ms", "eval_ms", "ttft_ms"):
                value = getattr(result, field)
                check(
                    value is None or (math.isfinite(value) and value >= 0),
                    "timings are non-negative",
                    f"{field}={value!r}",
                )
            check(
                result.prompt_tokens >= 0 and result.completion_tokens >= 0,
                "token counts are non-negative",
                f"prompt_tokens={result.prompt_tokens}, completion_tokens={result.completion_tokens}",
            )
            check(
                result.eval_tokens is None or 0 <= result.eval_tokens <= result.completion_tokens,
                "eval_tokens <= completion_tokens",
                f"eval_tokens={result.eval_tokens}, completion_tokens={result.completion_tokens}",
            )

        self._run(body, conformance_target)

    def test_concurrent_calls_match_sequential_ones(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            request = self._request()
            alone = await backend.generate(request)
            calls = max(2, min(int(backend.default_concurrency), 4))
            together = await asyncio.gather(*(backend.generate(request) for _ in range(calls)))
            texts = {result.text for result in together}
            check(
                texts == {alone.text},
                "concurrent calls give the same greedy answer",
                f"{calls} concurrent calls gave {sorted(texts)!r}, one call alone {alone.text!r}",
            )

        self._run(body, conformance_target)

    # -- loglikelihood -----------------------------------------------------------------------

    def test_loglikelihood_values(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            error: BaseException | None = None
            try:
                values = await backend.loglikelihood(self.context, list(self.continuations))
            except QframeError as exc:
                error = exc
            if not self.supports_loglikelihood:
                check_capability_error(error, "loglikelihood", "loglikelihood")
                return
            if error is not None:
                raise error
            check_loglikelihoods(values, len(self.continuations))

        self._run(body, conformance_target)

    def test_loglikelihood_order_and_one_pass(self, conformance_target: Target) -> None:
        if not self.supports_loglikelihood:
            return  # the capability error is checked by test_loglikelihood_values

        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            continuations = list(self.continuations)
            together = await backend.loglikelihood(self.context, continuations)
            check_loglikelihoods(together, len(continuations))
            reverse = await backend.loglikelihood(self.context, continuations[::-1])
            check(
                all_close(reverse[::-1], together, self.loglikelihood_tolerance),
                "loglikelihood preserves order",
                f"continuations {continuations!r} scored {together!r}, reversed {reverse!r}",
            )
            alone = [(await backend.loglikelihood(self.context, [c]))[0] for c in continuations]
            check(
                all_close(alone, together, self.loglikelihood_tolerance),
                "loglikelihood of a shared context equals scoring context + continuation in one pass",
                f"scored together {together!r}, one at a time {alone!r} (tolerance {self.loglikelihood_tolerance})",
            )

        self._run(body, conformance_target)

    # -- preflight, failures, close ----------------------------------------------------------

    def test_preflight_matches_declared_capabilities(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend = maker.build(conformance_target.model)
            preflight = getattr(backend, "preflight", None)
            if preflight is None:
                return  # preflight is optional
            await preflight(Requirements())
            asks = [
                (
                    Requirements(modes=frozenset({"generate", "loglikelihood"})),
                    self.supports_loglikelihood,
                    "loglikelihood",
                ),
                (Requirements(top_logprobs=3), self.supports_top_logprobs, "top_logprobs"),
            ]
            for requirements, supported, capability in asks:
                error: BaseException | None = None
                try:
                    await preflight(requirements)
                except MissingCapabilityError as exc:
                    error = exc
                if supported:
                    check(
                        error is None,
                        "preflight matches declared capabilities",
                        f"preflight refused {capability}, which the backend declares it supports: {error}",
                    )
                else:
                    check_capability_error(error, "preflight refuses missing capabilities", capability)

        self._run(body, conformance_target)

    def test_transient_failures_raise_transient_errors(self, conformance_target: Target) -> None:
        if self.transient_options is None:
            pytest.skip("the backend declares no transient failure mode (transient_options = None)")

        async def body(maker: BackendMaker) -> None:
            error: BaseException | None = None
            try:
                backend, _ = await maker.open(conformance_target.model, options=self.transient_options)
                await backend.generate(self._request())
            except Exception as exc:
                error = exc
            check(
                isinstance(error, TransientBackendError),
                "transient failures raise TransientBackendError",
                f"with options {dict(self.transient_options or {})!r} the call raised {error!r}",
            )

        self._run(body, conformance_target)

    def test_close_releases_and_is_idempotent(self, conformance_target: Target) -> None:
        async def body(maker: BackendMaker) -> None:
            backend, _ = await maker.open(conformance_target.model)
            await backend.close()
            try:
                await backend.close()
            except Exception as exc:
                broken("close() is idempotent", f"a second close() raised {exc!r}")
            try:
                await backend.generate(self._request())
            except BackendError:
                return
            except Exception as exc:
                broken("close() releases the model", f"generate after close() raised {exc!r}, expected BackendError")
            broken("close() releases the model", "generate after close() still answered")

        self._run(body, conformance_target)
