"""Teacher-forced log-probabilities of continuations after a shared context, on one llama.cpp context.

The context is evaluated once and kept in the KV cache; each continuation is scored by trimming
the cache back to the context and decoding only the continuation, with logits requested just
for the rows that predict its tokens. No state is copied and no full-vocabulary logits are kept
for the context, so scoring four answers to a question costs one context pass plus four short
ones.

Tokenization: the continuation's tokens are those of ``context + continuation`` after the
context's own tokens, so a leading space is tokenized exactly as the model sees it in running
text (" Paris" after "is", not a separate "Paris" with its own word-start marker). When the
joint tokenization merges characters across the boundary, the context's tokens are no longer a
prefix of the joint tokens; the tokens from the first difference on are then scored as the
continuation, conditioned on the context tokens before it.

The context is tokenized as the model's vocabulary prescribes (a BOS token where the model
adds one) and special-token strings in the text are read as special tokens, so a prompt
rendered with the chat template scores as it would generate. An empty context on a model that
adds no BOS is conditioned on the BOS token.

Every context pass is one batch sequence decoded from position 0, and every continuation pass
starts from that same cached context, so a continuation's score does not depend on which other
continuations were scored with it or before it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any


class TeacherForcer:
    """Scores continuations on a loaded ``llama_cpp.Llama``, reusing its KV cache between them.

    It drives the context directly (batches, cache trimming), so the ``Llama`` object's own
    record of what is cached goes stale, and the other way round: before generating with the
    ``Llama`` object call its ``reset()``, and call :meth:`invalidate` here.
    """

    def __init__(self, llm: Any) -> None:
        import llama_cpp

        self._llm = llm
        self._batch = llama_cpp.llama_batch_init(llm.n_batch, 0, 1)
        self._cached: list[int] = []

    def invalidate(self) -> None:
        """Forget what the KV cache holds; the next scoring call evaluates its context afresh."""
        self._cached = []

    def close(self) -> None:
        """Free the batch buffers."""
        import llama_cpp

        if self._batch is not None:
            llama_cpp.llama_batch_free(self._batch)
            self._batch = None

    def continuation_logprobs(self, context: str, continuations: Sequence[str]) -> Iterator[tuple[list[int], Any]]:
        """For each continuation, its scored token ids and the log-softmax rows predicting them.

        Row ``i`` (float64, one column per vocabulary entry) is the distribution the model gives
        before token ``i`` of the continuation. An empty continuation yields no tokens and no rows.
        """
        for continuation in continuations:
            yield self.forced_rows(context, continuation)

    def forced_rows(
        self, context: str, continuation: str | Sequence[int], add_bos: bool = True, end_ids: Sequence[int] = ()
    ) -> tuple[list[int], Any]:
        """The scored token ids of one continuation and the log-softmax row before each of them.

        A text continuation is tokenized after the context as described in the module docstring;
        token ids are scored exactly as given after the context's own tokens. ``add_bos`` is
        passed to the tokenizer (a prompt rendered by a chat template may carry its own). With
        ``end_ids`` the row after the last token is computed too, and the most likely of
        ``end_ids`` there is appended as the final scored token (the end of generation).
        """
        context_tokens = self._tokenize(context, add_bos)
        bos: list[int] = []
        if not context_tokens:
            bos = [self._bos_token()]
            context_tokens = bos
        if isinstance(continuation, str):
            joint = bos + self._tokenize(context + continuation, add_bos)
            shared = _common_prefix_length(context_tokens, joint)
            if shared == 0 and len(joint) > 0:
                raise ValueError(
                    f"continuation {continuation!r} merges with the first context token; "
                    "there is nothing to condition it on"
                )
            prefix, scored = joint[:shared], joint[shared:]
        else:
            n_vocab = self._llm.n_vocab()
            if any(not 0 <= token < n_vocab for token in continuation):
                raise ValueError(f"a token id is outside the vocabulary of {n_vocab}")
            prefix, scored = context_tokens, [int(token) for token in continuation]
        fed = scored if end_ids else scored[:-1]
        if not scored and not end_ids:
            return [], _empty_rows(self._llm.n_vocab())
        if len(prefix) + len(fed) > self._llm.n_ctx():
            raise ValueError(f"context and continuation need {len(prefix) + len(fed)} positions; n_ctx is {self._llm.n_ctx()}")
        self._hold_context(prefix[:-1])
        logits = self._decode(prefix[-1:] + fed, start=len(prefix) - 1, logits_from=len(prefix) - 1)
        self._cached = prefix + fed
        rows = _log_softmax(logits)
        if end_ids:
            scored = scored + [max(end_ids, key=lambda token: rows[-1, token])]
        return scored, rows

    def _tokenize(self, text: str, add_bos: bool = True) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    def _bos_token(self) -> int:
        bos = self._llm.token_bos()
        if bos < 0:
            raise ValueError("an empty context needs a BOS token, and this model has none")
        return bos

    def _hold_context(self, prefix: list[int]) -> None:
        """Leave exactly ``prefix`` in the KV cache: trim the cache when it starts with ``prefix``,
        else (or when the memory cannot drop a tail, as recurrent models' cannot) decode it anew."""
        import llama_cpp

        memory = llama_cpp.llama_get_memory(self._llm.ctx)
        trimmed = self._cached[: len(prefix)] == prefix and llama_cpp.llama_memory_seq_rm(memory, 0, len(prefix), -1)
        if not trimmed:
            llama_cpp.llama_memory_clear(memory, True)
            self._decode(prefix, start=0, logits_from=None)
        self._cached = list(prefix)

    def _decode(self, tokens: list[int], start: int, logits_from: int | None) -> Any:
        """Decode ``tokens`` at positions ``start``... and return the logits of positions >= ``logits_from``."""
        import llama_cpp
        import numpy as np

        rows: list[Any] = []
        n_vocab = self._llm.n_vocab()
        for offset in range(0, len(tokens), self._llm.n_batch):
            chunk = tokens[offset : offset + self._llm.n_batch]
            wanted = []
            self._batch.n_tokens = len(chunk)
            for index, token in enumerate(chunk):
                position = start + offset + index
                self._batch.token[index] = token
                self._batch.pos[index] = position
                self._batch.n_seq_id[index] = 1
                self._batch.seq_id[index][0] = 0
                self._batch.logits[index] = logits_from is not None and position >= logits_from
                if self._batch.logits[index]:
                    wanted.append(index)
            status = llama_cpp.llama_decode(self._llm.ctx, self._batch)
            if status != 0:
                self._cached = []
                raise RuntimeError(f"llama_decode failed with status {status}")
            rows += [
                np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self._llm.ctx, index), shape=(n_vocab,)).copy()
                for index in wanted
            ]
        return np.array(rows, dtype=np.float64).reshape(len(rows), n_vocab)


def _common_prefix_length(first: Sequence[int], second: Sequence[int]) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


def _log_softmax(logits: Any) -> Any:
    import numpy as np

    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _empty_rows(n_vocab: int) -> Any:
    import numpy as np

    return np.zeros((0, n_vocab))
