"""The fidelity stage: after generation, each variant is compared with its baseline per position.

``teacher_forced`` (the default): for every generated item the baseline scores its own output
text teacher-forced, with its end-of-generation token when the generation stopped on its own
(``finish_reason == "stop"``), and its top-k ids and log-probabilities per position are stored as
the item's reference. Every other variant of the family then scores the same token ids through
its backend's ``teacher_force``, returning its log-probabilities at the reference ids and the
exact mass outside them; the per-position KL, top-1 match and log-probability change are stored
(see :mod:`qframe.fidelity.positions`). A backend without ``teacher_force`` is named in one note
and its variant gets no fidelity figures; nothing else is substituted.

``shared_prefix``: per-position KL and top-1 match from the top-k lists stored with the two
generations, up to the first position whose top-1 tokens differ (:mod:`qframe.fidelity.topk`).

Only missing rows are computed: a stored reference or comparison without error is kept, so a
resumed run never recomputes finished fidelity rows. Failed calls are stored with their error
and retried on the next resume.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from qframe.config import Experiment, VariantSection
from qframe.data.records import KEY_COLUMNS, ItemKey, key_of
from qframe.fidelity.positions import compare_teacher_forced
from qframe.fidelity.topk import comparable_positions, topk_kl
from qframe.plugin_api.errors import EngineCrashedError
from qframe.plugin_api.protocols import Backend, RunStore, ScoringItem, TeacherForcedRequest, TeacherForcedScores
from qframe.run.plan import chat_mode
from qframe.run.runner import TRANSIENT, RowSink, backoff_delay

TEACHER_FORCED, SHARED_PREFIX = "teacher_forced", "shared_prefix"


@attrs.define
class FidelityOutcome:
    """What the stage did: its method (None when off), rows written and one-line notes."""

    method: str | None
    written: int = 0
    notes: list[str] = attrs.Factory(list)


async def run_fidelity(
    experiment: Experiment,
    store: RunStore,
    items: Sequence[ScoringItem],
    make_backend: Callable[[VariantSection], Backend],
) -> FidelityOutcome:
    """Compute the missing fidelity rows of a run (see the module docstring)."""
    settings = experiment.fidelity
    if not settings.active(experiment.experiment.top_logprobs):
        return FidelityOutcome(None)
    generated = [item for item in items if item.row.get("mode", "generate") == "generate"]
    sink = RowSink(store, "fidelity", experiment.store.flush_rows, experiment.store.flush_interval_s)
    if settings.method == SHARED_PREFIX:
        outcome = _shared_prefix(generated, _StoredRows(store).done, sink)
    else:
        outcome = await _TeacherForcing(experiment, store, sink, make_backend).run(generated)
    sink.flush()
    return outcome


class _StoredRows:
    """The fidelity table as stored: finished keys, and one row at a time on demand (a reference
    holds k values per position, so rows are not all turned into Python objects at once)."""

    def __init__(self, store: RunStore) -> None:
        self.table = store.read("fidelity")
        keys = self.table.select([*KEY_COLUMNS, "error"]).to_pylist()
        self.index = {key_of(row): position for position, row in enumerate(keys) if row["error"] is None}

    @property
    def done(self) -> set[ItemKey]:
        return set(self.index)

    def get(self, key: ItemKey) -> dict[str, Any] | None:
        position = self.index.get(key)
        return None if position is None else self.table.slice(position, 1).to_pylist()[0]


def _key(item: ScoringItem) -> ItemKey:
    return ItemKey(item.variant, item.task, item.sample.id, item.repetition)


def _error_row(item: ScoringItem, error: str) -> dict[str, Any]:
    """The row that stores one item's failure (its reference is the baseline it is compared with)."""
    reference = item.baseline_row["variant"] if item.baseline_row else item.variant
    return _row(_key(item), reference, TEACHER_FORCED, error=error)


def _row(key: ItemKey, reference: str, method: str, **columns: Any) -> dict[str, Any]:
    return dict(zip(KEY_COLUMNS, key, strict=True)) | {
        "reference": reference, "method": method, "error": None, "completed_at": time.time()
    } | columns


# --------------------------------------------------------------------------------------------
# shared_prefix
# --------------------------------------------------------------------------------------------


def _shared_prefix(items: Sequence[ScoringItem], done: set[ItemKey], sink: RowSink) -> FidelityOutcome:
    outcome = FidelityOutcome(SHARED_PREFIX)
    unlisted = 0
    for item in items:
        base_row = item.baseline_row
        if base_row is None or base_row["variant"] == item.variant or _key(item) in done:
            continue
        base, mine = base_row.get("top_logprobs"), item.row.get("top_logprobs")
        if not base or not mine:
            unlisted += 1
            continue
        base_positions, my_positions = comparable_positions([dict(p) for p in base], [dict(p) for p in mine])
        sink.add(_row(
            _key(item), base_row["variant"], SHARED_PREFIX,
            kl=[topk_kl(b, v) for b, v in zip(base_positions, my_positions, strict=True)],
            top1_match=[max(b, key=b.__getitem__) == max(v, key=v.__getitem__)
                        for b, v in zip(base_positions, my_positions, strict=True)],
        ))
        outcome.written += 1
    if unlisted:
        outcome.notes.append(f"fidelity (shared_prefix): {unlisted} items have no stored top-k lists on one side; not compared")
    return outcome


# --------------------------------------------------------------------------------------------
# teacher_forced
# --------------------------------------------------------------------------------------------


class _TeacherForcing:
    """Runs the reference pass of each family's baseline, then the comparison pass of its variants."""

    def __init__(
        self, experiment: Experiment, store: RunStore, sink: RowSink, make_backend: Callable[[VariantSection], Backend]
    ) -> None:
        self.experiment = experiment
        self.store = store
        self.stored = _StoredRows(store)
        self.sink = sink
        self.make_backend = make_backend
        self.outcome = FidelityOutcome(TEACHER_FORCED)
        self._rng = random.Random(experiment.experiment.seed)

    async def run(self, items: Sequence[ScoringItem]) -> FidelityOutcome:
        variants = {variant.id: variant for variant in self.experiment.resolved_variants()}
        baseline_of = self.experiment.baselines()
        for baseline in dict.fromkeys(baseline_of.values()):
            members = [v for v in variants if baseline_of[v] == baseline and v != baseline]
            todo = {v: [i for i in items if i.variant == v and i.baseline_row is not None and _key(i) not in self.stored.index]
                    for v in members}
            if not any(todo.values()):
                continue
            wanted = {(i.task, i.sample.id, i.repetition) for pending in todo.values() for i in pending}
            base_items = [i for i in items if i.variant == baseline and (i.task, i.sample.id, i.repetition) in wanted]
            if not await self._pass(variants[baseline], base_items, self._reference):
                continue
            # Variants read the references as stored (float16), so a resumed run compares alike.
            self.sink.flush()
            self.stored = _StoredRows(self.store)
            for variant in members:
                await self._pass(variants[variant], todo[variant], self._compare)
        return self.outcome

    async def _pass(self, variant: VariantSection, items: Sequence[ScoringItem], work: Callable[..., Any]) -> bool:
        """Run ``work`` on the items missing for one variant; False when its backend cannot."""
        missing = [item for item in items if _key(item) not in self.stored.index]
        if not missing:
            return True
        backend = self.make_backend(variant)
        if not callable(getattr(backend, "teacher_force", None)):
            self.outcome.notes.append(
                f"fidelity (teacher_forced): capability absent: variant {variant.id!r} (backend "
                f"{variant.backend!r}) has no teacher_force, so it cannot score the baseline's tokens; "
                "its fidelity is not measured"
            )
            return False
        try:
            await backend.open()
        except EngineCrashedError as exc:
            error = f"{type(exc).__name__}: {exc}"
            for item in missing:
                self.sink.add(_error_row(item, error))
            self.outcome.notes.append(f"fidelity (teacher_forced): variant {variant.id!r} not measured: {error}; resume retries it")
            return True
        try:
            if work == self._compare and (mismatch := await self._vocabulary_mismatch(backend, missing[0])):
                error = f"fidelity refused: {mismatch}"
                for item in missing:
                    self.sink.add(_error_row(item, error))
                self.outcome.notes.append(f"fidelity (teacher_forced): variant {variant.id!r} not measured: {mismatch}")
                return True
            limit = self.experiment.concurrency.get(
                variant.backend, self.experiment.concurrency.get("default", backend.default_concurrency)
            )
            semaphore = asyncio.Semaphore(limit)
            errors = await asyncio.gather(*(self._guarded(work, backend, item, semaphore) for item in missing))
        finally:
            await backend.close()
        failed = [error for error in errors if error]
        if failed:
            self.outcome.notes.append(
                f"fidelity (teacher_forced): {len(failed)} of {len(missing)} items failed for variant "
                f"{variant.id!r} (first: {failed[0]}); resume retries them"
            )
        return True

    async def _vocabulary_mismatch(self, backend: Backend, item: ScoringItem) -> str | None:
        """Why the variant cannot score the baseline's token ids, or None when it can.

        Token ids mean the same only with the same vocabulary and the same prompt rendering, which
        two engines serving one model need not share (a GGUF tokenizer against the HF one, another
        chat template). The variant tokenizes the baseline's own output after the prompt as the
        baseline did: its vocabulary size and tokens must equal the reference's.
        """
        reference = self.stored.get(ItemKey(item.baseline_row["variant"], item.task, item.sample.id, item.repetition))
        if reference is None:
            return None  # the item fails on its own, with its own error
        probe: TeacherForcedScores = await backend.teacher_force(self._request(
            item, text=item.baseline_row["text"] or "", append_end=item.baseline_row.get("finish_reason") == "stop",
            top_k=1,
        ))
        stored_vocab = reference.get("vocab_size")
        if stored_vocab is not None and probe.vocab_size != stored_vocab:
            return (f"its vocabulary has {probe.vocab_size} entries, the baseline's {stored_vocab}: "
                    "token ids cannot be compared across them")
        theirs, ours = tuple(reference["tokens"]), tuple(probe.tokens)
        if theirs != ours:
            at = next((i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b), min(len(theirs), len(ours)))
            return (f"it renders the prompt or tokenizes the baseline's output differently (first difference at "
                    f"token {at} of {len(theirs)} on item {item.sample.id!r}): token ids cannot be compared")
        return None

    async def _guarded(self, work: Callable[..., Any], backend: Backend, item: ScoringItem, semaphore: asyncio.Semaphore) -> str | None:
        """One item with the run's retry policy; a failure is stored as an error row."""
        policy = self.experiment.retry
        error = None
        for attempt in range(policy.attempts):
            try:
                async with semaphore:
                    row = await asyncio.wait_for(work(backend, item), self.experiment.experiment.timeout_s)
                self.sink.add(row)
                self.outcome.written += 1
                return None
            except TRANSIENT as exc:
                error = f"{type(exc).__name__}: {exc}"
                if attempt + 1 < policy.attempts:
                    await asyncio.sleep(backoff_delay(attempt, policy, self._rng))
            except Exception as exc:  # stored with the item, like a failed generation
                error = f"{type(exc).__name__}: {exc}"
                break
        self.sink.add(_error_row(item, error))
        return error

    def _request(self, item: ScoringItem, **continuation: Any) -> TeacherForcedRequest:
        return TeacherForcedRequest(
            prompt=item.sample.prompt, system=item.sample.system, chat=chat_mode(self.experiment, item.sample), **continuation
        )

    async def _reference(self, backend: Backend, item: ScoringItem) -> dict[str, Any]:
        """The baseline scores its own output (and end token when it stopped on its own)."""
        scores: TeacherForcedScores = await backend.teacher_force(self._request(
            item, text=item.text, append_end=item.row.get("finish_reason") == "stop", top_k=self.experiment.fidelity.top_k
        ))
        return _row(
            _key(item), item.variant, TEACHER_FORCED,
            tokens=list(scores.tokens),
            vocab_size=scores.vocab_size,
            token_logprobs=list(scores.token_logprobs),
            top_ids=[list(ids) for ids in scores.top_ids],
            top_logprobs=[list(values) for values in scores.top_logprobs],
            rest_logprob=list(scores.rest_logprob),
        )

    async def _compare(self, backend: Backend, item: ScoringItem) -> dict[str, Any]:
        """A variant scores the reference's tokens at the reference's top-k ids."""
        reference = self.stored.get(ItemKey(item.baseline_row["variant"], item.task, item.sample.id, item.repetition))
        if reference is None:
            raise LookupError("the baseline has no reference for this item (its scoring failed)")
        scores: TeacherForcedScores = await backend.teacher_force(self._request(
            item, tokens=tuple(reference["tokens"]), at_ids=tuple(tuple(ids) for ids in reference["top_ids"])
        ))
        if tuple(scores.tokens) != tuple(reference["tokens"]):
            raise ValueError("the backend scored other tokens than the baseline's")
        comparison = compare_teacher_forced(
            reference["top_ids"], reference["top_logprobs"], reference["rest_logprob"], reference["token_logprobs"],
            scores.at_logprobs, scores.rest_logprob, scores.top1, scores.token_logprobs,
        )
        return _row(
            _key(item), reference["variant"], TEACHER_FORCED,
            tokens=None,
            token_logprobs=list(scores.token_logprobs),
            rest_logprob=list(scores.rest_logprob),
            kl=comparison.kl,
            top1_match=comparison.top1_match,
            logprob_delta=comparison.logprob_delta,
        )
