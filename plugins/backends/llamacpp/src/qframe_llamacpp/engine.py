"""A synchronous engine over one GGUF model loaded by llama.cpp (llama-cpp-python).

It generates (through the model's chat template or as plain completion) with native timings from
llama.cpp's performance counters, and scores text teacher-forced: log-likelihoods of
continuations, top-k log-probabilities per position, and full distributions over a given
continuation after a prompt rendered as for generation (see :mod:`.teacher_forcing`).

Every generation evaluates its whole prompt: llama-cpp-python would otherwise reuse a cached
prompt prefix from the previous call, making the timings depend on call order.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import attrs

from .gguf_info import require_gguf_magic
from .teacher_forcing import TeacherForcer

SAMPLING_OPTIONS: dict[str, float] = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1.0}
"""Sampler settings passed on every generation, chat or plain, so both modes sample alike.
At temperature 0 sampling is greedy and these have no effect."""

Messages = Sequence[Mapping[str, str]]


class GenerationAborted(Exception):
    """A generation stopped because its ``abort`` event was set (its caller was cancelled)."""


@attrs.frozen
class EngineGeneration:
    """One generation with llama.cpp's own timings.

    ``prompt_eval_ms``/``n_prompt_eval`` time the batched prompt pass, ``eval_ms``/``n_eval``
    the one-token decode steps that feed each generated token back. A generation cut at
    ``max_tokens`` never decodes its last token (``n_eval == completion_tokens - 1``); one that
    ends at end-of-generation decodes them all. ``decode_tokens_per_s`` is ``n_eval`` per second
    of ``eval_ms`` (None without decode steps).

    ``ttft_ms`` equals ``prompt_eval_ms``: the first token is sampled from the logits of the
    prompt pass's last position, so it exists as soon as that pass ends and no decode step
    precedes it (a streamed first chunk arrives within a few milliseconds of the prompt pass,
    the sampling and detokenizing). A one-token prompt is a batch of one, which llama.cpp does
    not time as a prompt pass: ``prompt_eval_ms`` and ``ttft_ms`` are then 0.

    llama.cpp reports each count as at least 1 even when nothing ran; a count whose time is 0
    is reported here as 0.

    ``top_logprobs`` holds, per generated token, the requested number of most likely tokens
    with their log-probabilities, when asked for.
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    prompt_eval_ms: float
    n_prompt_eval: int
    eval_ms: float
    n_eval: int
    decode_tokens_per_s: float | None
    ttft_ms: float
    top_logprobs: list[dict[str, float]] | None = None


class LlamaEngine:
    """One loaded model. Not thread-safe: one call at a time.

    ``logits_all=True`` is needed only for ``top_logprobs`` in :meth:`generate` (llama-cpp-python
    keeps per-position logits only then); scoring works either way. It costs memory for a
    context's worth of logits and one batch-sized pass at load (see :meth:`_reserve_output_rows`).
    """

    def __init__(
        self,
        path: str | Path,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        seed: int = 42,
        logits_all: bool = False,
    ) -> None:
        from llama_cpp import Llama

        require_gguf_magic(path)
        self.path = Path(path)
        self.seed = seed
        self.logits_all = logits_all
        self._llm = Llama(
            model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, seed=seed, logits_all=logits_all, verbose=False
        )
        self._forcer = TeacherForcer(self._llm)
        self._end_tokens: list[int] | None = None
        self._abort: threading.Event | None = None
        self._watch_for_abort()
        if logits_all:
            self._reserve_output_rows()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def generate(
        self,
        prompt_or_messages: str | Messages,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        top_logprobs: int | None = None,
        chat: bool = True,
        abort: threading.Event | None = None,
    ) -> EngineGeneration:
        """Generate up to ``max_tokens`` tokens, greedily at temperature 0.

        Setting ``abort`` (from another thread) ends the generation before its next model
        evaluation with :class:`GenerationAborted`: how a cancelled run stops without waiting
        for ``max_tokens``.

        With ``chat`` the prompt (a string becomes one user message) is rendered by the GGUF's
        chat template; otherwise the string is continued as plain text. llama-cpp-python does
        not count a token that ends inside a multi-byte UTF-8 character against ``max_tokens``,
        so byte-level tokens can make ``completion_tokens`` exceed it.
        """
        import llama_cpp

        if top_logprobs and not self.logits_all:
            raise ValueError("top_logprobs needs LlamaEngine(..., logits_all=True)")
        if not chat and not isinstance(prompt_or_messages, str):
            raise TypeError("plain completion (chat=False) needs a prompt string")
        self._forcer.invalidate()
        self._llm.reset()
        llama_cpp.llama_synchronize(self._llm.ctx)
        llama_cpp.llama_perf_context_reset(self._llm.ctx)
        options: dict[str, Any] = dict(
            SAMPLING_OPTIONS, max_tokens=max_tokens, temperature=temperature, stop=list(stop or []), seed=self.seed
        )
        self._abort = abort
        try:
            response, choice, text = self._complete(prompt_or_messages, chat, options)
        finally:
            self._abort = None
        perf = llama_cpp.llama_perf_context(self._llm.ctx)
        usage = response["usage"]
        return EngineGeneration(
            text=text,
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            finish_reason=choice["finish_reason"],
            prompt_eval_ms=perf.t_p_eval_ms,
            n_prompt_eval=perf.n_p_eval if perf.t_p_eval_ms > 0 else 0,
            eval_ms=perf.t_eval_ms,
            n_eval=perf.n_eval if perf.t_eval_ms > 0 else 0,
            decode_tokens_per_s=perf.n_eval / perf.t_eval_ms * 1000.0 if perf.t_eval_ms > 0 else None,
            ttft_ms=perf.t_p_eval_ms,
            top_logprobs=(
                self._generated_top_logprobs(usage["prompt_tokens"], usage["completion_tokens"], top_logprobs)
                if top_logprobs
                else None
            ),
        )

    def _complete(self, prompt_or_messages: str | Messages, chat: bool, options: dict[str, Any]) -> tuple[Any, Any, str]:
        """llama-cpp-python's response, its first choice and the generated text."""
        if chat:
            response = self._llm.create_chat_completion(_messages(prompt_or_messages), **options)
            choice = response["choices"][0]
            return response, choice, choice["message"]["content"] or ""
        response = self._llm.create_completion(prompt_or_messages, **options)
        choice = response["choices"][0]
        return response, choice, choice["text"]

    def _generated_top_logprobs(self, n_prompt: int, n_generated: int, k: int) -> list[dict[str, float]]:
        """Top-``k`` tokens and log-probabilities of the distribution behind each generated token.

        Read from the logits llama.cpp kept for every evaluated position (row ``n_prompt - 1 + j``
        predicts generated token ``j``) rather than through llama-cpp-python's own ``logprobs``,
        which sorts the whole vocabulary in Python for every token (seconds per generation).
        """
        import numpy as np

        rows = np.asarray(self._llm.scores[n_prompt - 1 : min(n_prompt - 1 + n_generated, self._llm.n_tokens)])
        return [self._top_k_of_row(row, k) for row in rows.astype(np.float64)]

    def _top_k_of_row(self, logits: Any, k: int) -> dict[str, float]:
        import numpy as np

        logprobs = logits - np.logaddexp.reduce(logits)
        k = min(k, logprobs.size - 1)
        # Extra candidates so that k distinct texts remain when two tokens render alike.
        candidates = min(2 * k + 8, logprobs.size - 1)
        best = np.argpartition(-logprobs, candidates)[:candidates]
        return _top_k({self._token_text(int(t)): float(logprobs[t]) for t in best[np.argsort(logprobs[best])]}, k)

    def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        """Sum of the log-probabilities of each continuation's tokens given ``context``.

        The context is evaluated once for all continuations; tokenization and boundary rules are
        those of :mod:`.teacher_forcing`. An empty continuation scores 0.0.
        """
        import numpy as np

        return [
            float(rows[np.arange(len(tokens)), tokens].sum())
            for tokens, rows in self._forcer.continuation_logprobs(context, continuations)
        ]

    def sequence_logprobs(self, context: str, continuation: str) -> tuple[list[int], Any]:
        """The continuation's token ids and the full log-softmax row before each of them
        (teacher-forced; one float64 column per vocabulary entry)."""
        [(tokens, rows)] = self._forcer.continuation_logprobs(context, [continuation])
        return tokens, rows

    def score_sequence(self, context: str, continuation: str, top_k: int) -> list[dict[str, float]]:
        """Teacher-forced top-``top_k`` tokens and log-probabilities at each continuation position.

        Position ``i`` is the model's distribution before the continuation's token ``i``, whatever
        the model would have generated there, so two variants scored on the same text can be
        compared position by position (KL divergence, top-1 agreement). Keys are token texts as
        llama-cpp-python renders them; when two tokens render alike the more likely one is kept.
        """
        import numpy as np

        _, rows = self.sequence_logprobs(context, continuation)
        best = np.argsort(-rows, axis=1)[:, :top_k]
        return [
            _top_k({self._token_text(int(token)): float(row[token]) for token in reversed(order)}, top_k)
            for row, order in zip(rows, best, strict=True)
        ]

    def teacher_force(
        self, prompt_or_messages: str | Messages, chat: bool, continuation: str | Sequence[int], append_end: bool
    ) -> tuple[list[int], Any]:
        """Teacher-forced token ids and full log-softmax rows of a continuation after a prompt.

        The prompt is rendered as :meth:`generate` renders it (see :meth:`_rendered_prompt`). A text
        continuation is tokenized after it (see :mod:`.teacher_forcing`); token ids are scored as
        given. With ``append_end`` the model's most likely end-of-generation token after the text
        is scored last: the token a greedy generation that stopped on its own ended with.
        """
        if not chat and not isinstance(prompt_or_messages, str):
            raise TypeError("plain completion (chat=False) needs a prompt string")
        context, add_bos = self._rendered_prompt(prompt_or_messages, chat)
        return self._forcer.forced_rows(context, continuation, add_bos, self._end_ids() if append_end else ())

    def _rendered_prompt(self, prompt_or_messages: str | Messages, chat: bool) -> tuple[str, bool]:
        """The prompt text :meth:`generate` hands the model, and whether the tokenizer adds BOS to it.

        A chat prompt is rendered by llama-cpp-python's own chat handler (the GGUF's template, or
        its built-in format): ``create_chat_completion`` runs with ``tokenize`` recorded and
        ``create_completion`` stopped before anything is evaluated, so the text and BOS choice are
        exactly those of a generation, whatever the template.
        """
        if not chat:
            return str(prompt_or_messages), True
        calls: list[tuple[str, bool]] = []
        tokenize = self._llm.tokenize

        def recording_tokenize(text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
            calls.append((text.decode("utf-8"), add_bos))
            return tokenize(text, add_bos=add_bos, special=special)

        def stop(*args: Any, **kwargs: Any) -> Any:
            raise _PromptRendered

        self._llm.tokenize, self._llm.create_completion = recording_tokenize, stop
        try:
            self._llm.create_chat_completion(_messages(prompt_or_messages), max_tokens=1)
        except _PromptRendered:
            pass
        finally:
            del self._llm.tokenize, self._llm.create_completion
        if not calls:
            raise RuntimeError("the chat handler tokenized no prompt")
        return calls[-1]

    def _end_ids(self) -> list[int]:
        """Token ids that end a generation (llama.cpp's end-of-generation set), found once."""
        if self._end_tokens is None:
            import llama_cpp

            vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
            self._end_tokens = [t for t in range(self._llm.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, t)]
            if not self._end_tokens:
                raise ValueError("the model has no end-of-generation token")
        return self._end_tokens

    def close(self) -> None:
        """Free the model and its context; the engine cannot be used afterwards."""
        self._forcer.close()
        self._llm.close()

    @staticmethod
    def engine_version() -> dict[str, str]:
        """Versions for a run manifest: the llama-cpp-python package and llama.cpp's system info
        (the CPU features and backends the native library was built with)."""
        import llama_cpp

        return {
            "llama_cpp_python": llama_cpp.__version__,
            "system_info": llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").strip(),
        }

    def _watch_for_abort(self) -> None:
        """Check the current generation's ``abort`` event before every model evaluation.

        llama-cpp-python's generation loop (chat or plain) calls ``Llama.eval`` once for the
        prompt and once per generated token, and its chat API takes no stopping criteria, so the
        check wraps ``eval`` on this instance: one Python call per token.
        """
        evaluate = self._llm.eval

        def eval_unless_aborted(tokens: Sequence[int]) -> None:
            if self._abort is not None and self._abort.is_set():
                raise GenerationAborted("generation aborted")
            evaluate(tokens)

        self._llm.eval = eval_unless_aborted

    def _reserve_output_rows(self) -> None:
        """Decode one full batch with every row's logits requested, once, at load.

        llama.cpp grows its logits buffer when a decode needs more output rows than any before,
        and the growth synchronizes in the middle of the decode, so that prompt pass is missing
        from the performance counters. With ``logits_all`` every prompt row is an output row,
        so without this each prompt longer than all earlier ones would report a near-zero
        prompt time. No decode ever needs more rows than one batch.
        """
        self._llm.eval([0] * self._llm.n_batch)
        self._llm.reset()

    def _token_text(self, token: int) -> str:
        return self._llm.detokenize([token]).decode("utf-8", errors="ignore")


class _PromptRendered(Exception):
    """Stops a chat completion once its prompt is tokenized (see ``LlamaEngine._rendered_prompt``)."""


def prompt_for(prompt: str, system: str | None, chat: bool) -> str | list[dict[str, str]]:
    """What the engine gets for a request's prompt: chat messages (with the system turn), or one text."""
    if chat and system:
        return [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
    if system:
        return f"{system}\n\n{prompt}"
    return prompt


def _messages(prompt_or_messages: str | Messages) -> list[dict[str, str]]:
    """A prompt string as one user message; message lists as plain dicts."""
    if isinstance(prompt_or_messages, str):
        return [{"role": "user", "content": prompt_or_messages}]
    return [dict(message) for message in prompt_or_messages]


def _top_k(logprobs: Mapping[str, float], k: int) -> dict[str, float]:
    """The ``k`` most likely entries, most likely first, as plain floats."""
    ranked = sorted(logprobs.items(), key=lambda item: item[1], reverse=True)[:k]
    return {token: float(logprob) for token, logprob in ranked}
