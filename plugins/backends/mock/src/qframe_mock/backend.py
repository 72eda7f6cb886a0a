"""Backend ``mock``: answers are a pure function of (model, prompt), so runs are reproducible.

Options (per variant, or per ladder):

- ``latency_s``: seconds each call takes (default 0).
- ``accuracy``: chance of answering an arithmetic prompt right; by default it falls with the
  bits in the quant label (F16 0.98 ... Q2 0.60) so a mock ladder shows a quality gradient.
- ``fault_rate``: share of calls that fail (default 0); ``faults``: which failures to draw
  from, any of ``timeout`` (the call hangs until the runner's timeout), ``error`` (a server
  error) and ``garbage`` (an unparseable reply). Faults are drawn at random per call, like a
  flaky server, so a retry or a resume can pass; ``fault_seed`` makes the draws repeatable.
- ``responses``: a list of canned replies returned verbatim (up to a stop string), one per ``generate`` call in call
  order, starting again from the first when the list is used up (so a one-element list answers
  every call alike). Warm-up calls take replies from the list too. Without it, answers follow
  the prompt as described above. Used to script a mock judge, garbage and empty replies
  included.

Like a real engine, generation ends before the first ``stop`` string, ``prompt_tokens`` counts the
system prompt and, with ``chat``, two role markers, the generated word is the most likely entry of
its ``top_logprobs``, log-likelihoods are <= 0, and a closed backend refuses calls.

``model`` may name an existing file; its SHA-256 is then the model digest (so a changed file is
detected on resume). Otherwise the digest is derived from the model name.

Teacher forcing (``teacher_force``, for the fidelity stage): the mock's vocabulary is
:data:`VOCABULARY` (an end token, an unknown-word token, the filler words and the numbers
0-199) and text is tokenized by whitespace. The next-token distribution after a prompt and the
tokens before a position is a softmax of logits drawn from the prompt and those tokens (the same
for every variant) plus noise drawn from the variant's model, scaled by ``fidelity_noise``
(default: grows as the quant label's bits fall), so a mock ladder's KL grows down the ladder.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import re
from collections.abc import Iterator, Sequence
from typing import Any
from itertools import cycle
from pathlib import Path

from qframe.plugin_api.errors import BackendError, BackendResponseError, TransientBackendError
from qframe.fidelity.rows import scores_from_rows
from qframe.plugin_api.protocols import (
    BackendSpec,
    GenerationRequest,
    GenerationResult,
    ModelInfo,
    TeacherForcedRequest,
    TeacherForcedScores,
)

_ARITHMETIC = re.compile(r"What is (\d+) \+ (\d+)\?")
_BITS = re.compile(r"(?:Q|IQ)(\d)")
_WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi".split()
FAULTS = ("timeout", "error", "garbage")
END, UNKNOWN = "</s>", "<unk>"
VOCABULARY: tuple[str, ...] = (END, UNKNOWN, *_WORDS, *(str(number) for number in range(200)))
_TOKEN_ID = {token: index for index, token in enumerate(VOCABULARY)}


def default_accuracy(quant: str) -> float:
    """Accuracy of the mock model at a quant level: fewer bits, more mistakes."""
    match = _BITS.search(quant.upper())
    if match is None:
        return 0.98
    return {8: 0.97, 6: 0.95, 5: 0.93, 4: 0.90, 3: 0.80, 2: 0.60}.get(int(match.group(1)), 0.5)


def _response_queue(responses: object) -> Iterator[str] | None:
    """The ``responses`` option as an endless cycle of replies (None when the option is absent)."""
    if responses is None:
        return None
    if not isinstance(responses, list | tuple) or not responses or not all(isinstance(r, str) for r in responses):
        raise ValueError(f"mock responses: expected a non-empty list of strings, got {responses!r}")
    return cycle(responses)


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class MockBackend:
    """Deterministic stand-in for a model server."""

    default_concurrency = 8

    def __init__(self, spec: BackendSpec) -> None:
        options = dict(spec.options)
        self.model = spec.model
        self.quant = spec.quant
        self.latency_s = float(options.get("latency_s", 0.0))
        self.accuracy = float(options.get("accuracy", default_accuracy(spec.quant or spec.model)))
        self.fault_rate = float(options.get("fault_rate", 0.0))
        self.faults = tuple(options.get("faults", FAULTS))
        unknown = set(self.faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"mock faults: unknown {sorted(unknown)}; allowed: {', '.join(FAULTS)}")
        self.fidelity_noise = float(options.get("fidelity_noise", 5.0 * (1.0 - default_accuracy(spec.quant or spec.model))))
        self._fault_draws = random.Random(options.get("fault_seed"))
        self._responses = _response_queue(options.get("responses"))
        self._closed = False

    async def open(self) -> ModelInfo:
        path = Path(self.model)
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            size = path.stat().st_size
        else:
            digest = hashlib.sha256(f"mock:{self.model}".encode()).hexdigest()
            size = None
        self._closed = False
        return ModelInfo(model=self.model, digest=digest, quant=self.quant, engine="mock", size_bytes=size)

    async def close(self) -> None:
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError(f"mock backend {self.model!r} used after close()")

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        self._check_open()
        canned = next(self._responses) if self._responses is not None else None
        await self._maybe_fail()
        if canned is None:
            text = " ".join(self._answer(request.prompt).split()[: request.max_tokens])
        else:
            text = canned
        text = _cut_at_stop(text, request.stop)
        words = text.split()
        top_logprobs = None
        if request.top_logprobs:
            top_logprobs = tuple(
                self._token_logprobs(request.prompt, i, word, request.top_logprobs) for i, word in enumerate(words)
            )
        eval_ms = self.latency_s * 1000 * 0.8
        return GenerationResult(
            text=text,
            prompt_tokens=_prompt_tokens(request),
            completion_tokens=len(words),
            finish_reason="length" if len(words) == request.max_tokens else "stop",
            prompt_eval_ms=self.latency_s * 1000 * 0.2,
            eval_ms=eval_ms,
            eval_tokens=max(len(words) - 1, 0) if eval_ms else None,
            ttft_ms=self.latency_s * 1000 * 0.2,
            top_logprobs=top_logprobs,
            applied={"temperature": request.temperature, "seed": request.seed, "max_tokens": request.max_tokens},
        )

    async def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        self._check_open()
        await self._maybe_fail()
        match = _ARITHMETIC.search(context)
        right = str(int(match.group(1)) + int(match.group(2))) if match else None
        knows = _unit(self.model, context, "knows") < self.accuracy
        scores = []
        for continuation in continuations:
            if knows and continuation.strip() == right:
                scores.append(-0.05 * _unit(self.model, context, continuation))
            else:
                scores.append(-1.0 - 2.0 * _unit(self.model, context, continuation))
        return scores

    async def teacher_force(self, request: TeacherForcedRequest) -> TeacherForcedScores:
        """Score a fixed continuation teacher-forced (see the module docstring)."""
        self._check_open()
        await self._maybe_fail()
        if request.tokens is not None:
            tokens = list(request.tokens)
            if any(not 0 <= token < len(VOCABULARY) for token in tokens):
                raise ValueError(f"token id outside the mock vocabulary of {len(VOCABULARY)}")
        else:
            tokens = [_TOKEN_ID.get(word, _TOKEN_ID[UNKNOWN]) for word in (request.text or "").split()]
            if request.append_end:
                tokens.append(_TOKEN_ID[END])
        rendered = f"{request.system or ''}\x1f{request.prompt}\x1f{request.chat}"
        rows = [self._next_token_logprobs(rendered, tokens[:position]) for position in range(len(tokens))]
        return scores_from_rows(tokens, rows, request)

    def _next_token_logprobs(self, rendered: str, before: Sequence[int]) -> list[float]:
        import numpy as np

        def draw(*parts: object) -> Any:
            seed = int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:8], "big")
            return np.random.default_rng(seed).normal(size=len(VOCABULARY))

        logits = 2.0 * draw("mock-lm", rendered, *before) + self.fidelity_noise * draw(self.model, rendered, *before)
        shifted = logits - logits.max()
        return (shifted - np.log(np.exp(shifted).sum())).tolist()

    # -- internals ----------------------------------------------------------------------------

    async def _maybe_fail(self) -> None:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self.fault_rate and self._fault_draws.random() < self.fault_rate:
            fault = self._fault_draws.choice(self.faults)
            if fault == "timeout":
                await asyncio.sleep(3600)  # hangs until the runner's timeout cancels the call
            if fault == "error":
                raise TransientBackendError("mock server error: HTTP 503 Service Unavailable")
            raise BackendResponseError("mock reply is not valid JSON: '\\x00{\"cho'")

    def _answer(self, prompt: str) -> str:
        match = _ARITHMETIC.search(prompt)
        if match is None:
            count = 3 + int(_unit(self.model, prompt, "length") * 12)
            return " ".join(_WORDS[int(_unit(self.model, prompt, i) * len(_WORDS))] for i in range(count))
        total = int(match.group(1)) + int(match.group(2))
        if _unit(self.model, prompt, "knows") >= self.accuracy:
            total += 1 + int(_unit(self.model, prompt, "miss") * 9)
        return str(total)

    def _token_logprobs(self, prompt: str, position: int, chosen: str, k: int) -> dict[str, float]:
        """Top-``k`` of a made-up distribution in which the generated word is the most likely."""
        others = [token for token in _WORDS if token != chosen][: k - 1]
        weights = [_unit(self.model, prompt, position, token) + 1e-3 for token in others]
        weights = [max(weights, default=0.0) + 1.0, *weights]
        total = sum(weights) * 1.25  # leave some mass outside the top k
        return {token: math.log(weight / total) for token, weight in zip([chosen, *others], weights, strict=True)}


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """The text up to the first stop string, as engines return it."""
    cut = min((text.index(s) for s in stop if s and s in text), default=None)
    return text if cut is None else text[:cut].rstrip()


def _prompt_tokens(request: GenerationRequest) -> int:
    """Words of the prompt and system prompt, plus the mock chat template's two role markers."""
    words = len(request.prompt.split()) + len((request.system or "").split())
    return words + (2 if request.chat else 0)
