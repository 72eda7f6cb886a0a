"""The interfaces plugins implement, and the value types that cross them.

Hooks only register factories (see :mod:`qframe.plugin_api.hookspecs`); the objects those factories build
do the work. I/O-bound methods (backend calls, judges) are ``async``; CPU-bound ones (metrics,
classifiers, reporters, stores) are plain functions that the runner moves off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    import pyarrow


# --------------------------------------------------------------------------------------------
# Items and backend calls
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Sample:
    """One evaluation item of a task, identical for every variant (the paired design).

    ``prompt`` is the user turn (or the whole text in completion mode). Multiple-choice items
    carry ``choices`` (labels in ``choice_labels``) and the correct label in ``answer``; for
    loglikelihood scoring ``context`` is scored once and each of ``continuations`` after it.
    ``group`` is the cluster an item belongs to (e.g. its MMLU subject) for cluster bootstraps.
    ``metadata["category"]`` says what an item probes (``harmful``, ``benign``, ``truthfulness``,
    ``bias``...); it is stored with the generation so safety verdicts can be read by category.
    ``metadata["request_id"]`` names the request an item asks, where several items ask the same
    one (a harmful request plain and in every jailbreak template): the analysis then treats the
    request as one unit, averaging its items, so templates never count as independent evidence.

    ``stop``, ``max_tokens`` and ``chat`` are an item's own generation settings where its task
    fixes them (an lm-eval task's stop sequences, token budget and plain-completion prompt);
    ``max_tokens`` and ``chat`` left ``None`` take the experiment's.
    """

    id: str
    prompt: str
    reference: str | None = None
    system: str | None = None
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    answer: str | None = None
    context: str | None = None
    continuations: tuple[str, ...] = ()
    group: str | None = None
    metadata: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    stop: tuple[str, ...] = ()
    max_tokens: int | None = None
    chat: bool | None = None


@attrs.frozen
class GenerationRequest:
    """Everything a backend needs for one generation; the same for every variant of an item."""

    prompt: str
    max_tokens: int
    temperature: float
    seed: int
    system: str | None = None
    stop: tuple[str, ...] = ()
    top_logprobs: int = 0
    chat: bool = True


@attrs.frozen
class GenerationResult:
    """A backend's answer with the engine's own (native) timings where it reports them.

    ``eval_ms`` is the time of the decode steps and ``eval_tokens`` how many tokens they decoded
    (native decode tokens/s = eval_tokens / eval_ms; when absent, completion_tokens is used).

    ``top_logprobs`` holds, per generated token, the top-k tokens and their log-probabilities.
    ``applied`` records the options the engine really used (for provenance).
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"
    prompt_eval_ms: float | None = None
    eval_ms: float | None = None
    eval_tokens: int | None = None
    ttft_ms: float | None = None
    top_logprobs: tuple[Mapping[str, float], ...] | None = None
    applied: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class TeacherForcedRequest:
    """One fixed continuation to score teacher-forced after a prompt (see ``Backend.teacher_force``).

    The prompt is rendered exactly as :meth:`Backend.generate` renders a request with the same
    ``prompt``, ``system`` and ``chat``. The continuation is given either as ``text``, which the
    backend tokenizes as the model sees it after that prompt (with ``append_end`` the model's
    end-of-generation token follows it), or as ``tokens``, ids scored exactly as given (another
    variant's reference tokens; the variants must share a vocabulary). Position ``i`` is the
    model's distribution before continuation token ``i``, whatever it would have generated there.

    Per position the backend returns either its own ``top_k`` most likely tokens (``top_k > 0``)
    or its log-probabilities at the token ids ``at_ids[i]`` (one tuple per position); not both.
    """

    prompt: str
    system: str | None = None
    chat: bool = True
    text: str | None = None
    tokens: tuple[int, ...] | None = None
    append_end: bool = False
    top_k: int = 0
    at_ids: tuple[tuple[int, ...], ...] | None = None

    def __attrs_post_init__(self) -> None:
        if (self.text is None) == (self.tokens is None):
            raise ValueError("TeacherForcedRequest: give exactly one of text and tokens")
        if self.tokens is not None and self.append_end:
            raise ValueError("TeacherForcedRequest: append_end applies to text; put the end token in tokens")
        if (self.top_k > 0) == (self.at_ids is not None):
            raise ValueError("TeacherForcedRequest: ask for exactly one of top_k > 0 and at_ids")
        if self.at_ids is not None and self.tokens is not None and len(self.at_ids) != len(self.tokens):
            raise ValueError(f"TeacherForcedRequest: {len(self.at_ids)} at_ids rows for {len(self.tokens)} tokens")


@attrs.frozen
class TeacherForcedScores:
    """A backend's teacher-forced scores of a :class:`TeacherForcedRequest`, one entry per position.

    ``tokens`` are the scored token ids (the end-of-generation token last when it was appended),
    ``token_logprobs`` the natural-log probability of each of them and ``top1`` the model's own
    most likely token id at each position. ``top_ids``/``top_logprobs`` (most likely first) answer
    ``top_k``; ``at_logprobs`` answers ``at_ids``, in the same order. ``rest_logprob`` is the exact
    natural log of the probability mass outside the returned ids at each position (outside
    ``top_ids``, or outside ``at_ids``), computed from the full distribution, ``-inf`` where the
    returned ids cover the vocabulary. ``vocab_size`` is the number of entries of a distribution.
    """

    tokens: tuple[int, ...]
    token_logprobs: tuple[float, ...]
    top1: tuple[int, ...]
    rest_logprob: tuple[float, ...]
    vocab_size: int
    top_ids: tuple[tuple[int, ...], ...] = ()
    top_logprobs: tuple[tuple[float, ...], ...] = ()
    at_logprobs: tuple[tuple[float, ...], ...] = ()


@attrs.frozen
class ModelInfo:
    """What a backend knows about the weights behind a variant (written to the manifest)."""

    model: str
    digest: str
    quant: str
    engine: str
    size_bytes: int | None = None
    parameters: int | None = None
    bits_per_weight: float | None = None
    details: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class BackendSpec:
    """How to build one backend instance: serialisable, built from config, never a live object.

    ``top_logprobs`` tells the backend the experiment will ask for that many log-probabilities
    per generated token, for engines that must prepare for it when the model loads.
    """

    backend: str
    model: str
    quant: str = ""
    seed: int = 42
    options: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    top_logprobs: int = 0


@attrs.frozen
class Requirements:
    """What an experiment will ask of one variant's backend; checked before a run starts.

    ``modes`` are the task modes it will call (``"generate"``, ``"loglikelihood"``) and
    ``top_logprobs`` the log-probabilities per generated token it will ask for.
    """

    modes: frozenset[str] = frozenset({"generate"})
    top_logprobs: int = 0


@runtime_checkable
class Backend(Protocol):
    """A model served by some engine. One instance per variant.

    ``default_concurrency`` is how many calls the runner may have in flight at once unless the
    config says otherwise (1 for in-process engines).

    A backend may also offer ``async preflight(requirements: Requirements) -> None``: a cheap
    check, run by ``qframe validate`` and before a run directory is created, that the model
    exists and is readable (a file's header, a server's model list) and that the backend can do
    what ``requirements`` asks. It raises :class:`qframe.plugin_api.errors.BadInputError` (unreadable model)
    or :class:`qframe.plugin_api.errors.MissingCapabilityError` with a one-line message, and loads nothing
    heavy.

    A backend may also offer ``async teacher_force(request: TeacherForcedRequest) ->
    TeacherForcedScores``: score one fixed continuation after a prompt, teacher-forced, with the
    model's full next-token distribution at each position (see :class:`TeacherForcedRequest` and
    :class:`TeacherForcedScores`). The fidelity stage uses it: the baseline scores its own output
    (with the end-of-generation token) keeping its top-k per position, then every other variant
    scores the same token ids and returns its log-probabilities at the baseline's top-k ids plus
    the exact mass outside them. Engines that keep full logits per position (llama.cpp, vLLM's
    ``prompt_logprobs`` with the whole vocabulary, transformers) can offer it; a backend without
    it is reported as lacking the capability, and nothing is estimated in its place.
    :func:`qframe.fidelity.rows.scores_from_rows` builds the answer from full log-softmax rows.

    A backend may also offer ``async weights_digest() -> str``: a digest of the weights alone
    (not the file's metadata), computed without loading the model. Two variants of one backend,
    options and family with the same weights digest are the same model: the run evaluates the
    first and reports the second as its alias (:mod:`qframe.run.aliases`).
    """

    default_concurrency: int

    async def open(self) -> ModelInfo:
        """Load or connect to the model and describe its weights (digest, size, quant)."""
        ...

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        """Generate one completion. Raise TransientBackendError for retryable failures."""
        ...

    async def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        """Sum of token log-probabilities of each continuation after ``context``."""
        ...

    async def close(self) -> None:
        """Release the model (memory, connections)."""
        ...


BackendFactory = Callable[[BackendSpec], Backend]


# --------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------


ORIGIN = "origin"
"""The key of a task's ``provenance`` that says in one line where its items came from
(``cais/mmlu@c30699e8/all/test-00000-of-00001.parquet``); ``qframe data pull`` prints it."""

PROPORTION, CONTINUOUS = "proportion", "continuous"
QUALITY = "quality"
"""The metric name of every task's proportion quality signal, pooled (``benchmark_metric``'s default)."""


@attrs.frozen
class QualitySignal:
    """The score a task declares as its quality: what tiers, ``recommend`` and ``gate`` read.

    ``metrics`` names one metric, or several whose per-item mean is the score (a generation
    suite's BERTScore, coherence and ROUGE-L). ``kind`` says how its change is read: a
    ``proportion`` (0/1 or a share per item: accuracy, exact match, pass rate) pools with the
    other proportions into the benchmark accuracy, its change in percentage points; a
    ``continuous`` score (entity F1, BERTScore) pools into the key-metric average, its change
    in percent of the baseline's.
    """

    metrics: tuple[str, ...] = attrs.field(converter=tuple)
    kind: str = PROPORTION

    def __attrs_post_init__(self) -> None:
        if not self.metrics:
            raise ValueError("a quality signal names at least one metric")
        if self.kind not in (PROPORTION, CONTINUOUS):
            raise ValueError(f"quality signal kind {self.kind!r}: allowed {PROPORTION}, {CONTINUOUS}")
        if self.kind == PROPORTION and len(self.metrics) != 1:
            raise ValueError("a proportion quality signal names exactly one metric")


@runtime_checkable
class Task(Protocol):
    """A set of items plus how to ask for them.

    ``mode`` is ``"generate"`` or ``"loglikelihood"`` (multiple choice ranked by the backend).
    ``default_metrics`` are the metric names that score this task besides the configured ones.
    A task may also declare ``default_judges``: judge plugin names whose verdicts it needs to
    mean anything (the refusal suites declare the regex refusal judge); they run unless the
    config already has a judge of that plugin or sets ``defaults.judges = false``.
    A task declares its quality score as ``quality`` (a :class:`QualitySignal`; absent or None:
    accuracy_rescored if the task reports it, else whichever of BERTScore, coherence and ROUGE-L
    it reports; safety suites declare none).
    A task may say where its items come from as ``provenance`` (a JSON-able mapping: a library
    version, a task config hash, a data file's digest; under :data:`ORIGIN`, one line naming the
    source); the run records it in its manifest (``task_provenance``) and ``qframe resume``
    refuses a run whose tasks' provenance changed.
    """

    name: str
    mode: str
    default_metrics: tuple[str, ...]

    def samples(self, limit: int | None, seed: int) -> list[Sample]:
        """Return the items, deterministically for a given seed; ids are stable across runs."""
        ...


TaskFactory = Callable[[Mapping[str, Any]], Task]


# --------------------------------------------------------------------------------------------
# Scoring and judging over stored generations
# --------------------------------------------------------------------------------------------


@attrs.frozen
class ScoringItem:
    """One stored generation to score, with its item and the baseline's row for the same key."""

    variant: str
    task: str
    sample: Sample
    repetition: int
    row: Mapping[str, Any] = attrs.field(hash=False)
    baseline_row: Mapping[str, Any] | None = attrs.field(default=None, hash=False)

    @property
    def text(self) -> str:
        return self.row.get("text") or ""


@runtime_checkable
class Metric(Protocol):
    """Scores stored generations. ``params`` (e.g. the embedding model) is stored with each score.

    ``score`` gets every item of a run at once so expensive models load once and run batched;
    it returns one value per item (None where the metric does not apply).
    """

    name: str
    params: Mapping[str, str]

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]: ...


MetricFactory = Callable[[Mapping[str, Any]], Metric]


@attrs.frozen
class Verdict:
    """A judge's decision on one item. ``label`` is ``"unparsed"`` when the output did not parse."""

    label: str
    raw: str
    judge_model: str
    judge_digest: str = ""
    detail: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@runtime_checkable
class Judge(Protocol):
    """Labels stored generations (refusal, truthfulness, bias, pairwise preference...).

    A judge may also offer ``summarize(rows, judge_id) -> list[dict]``: a table of its own
    aggregates over its stored verdict rows (refusal mechanism, pairwise win rates) that the
    analysis passes on to reports.
    """

    name: str

    async def judge(self, items: Sequence[ScoringItem]) -> list[Verdict]: ...


class BackendProvider(Protocol):
    """What core hands a judge factory so it can use any registered backend as its model."""

    def __call__(self, spec: BackendSpec) -> Backend: ...


JudgeFactory = Callable[[Mapping[str, Any], BackendProvider], Judge]


# --------------------------------------------------------------------------------------------
# Analysis, reporting, storage
# --------------------------------------------------------------------------------------------


@runtime_checkable
class Classifier(Protocol):
    """Adds labels to analysis cells (one mapping per (model, variant)); thresholds in options."""

    name: str

    def classify(self, cells: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]: ...


ClassifierFactory = Callable[[Mapping[str, Any]], Classifier]


@runtime_checkable
class Reporter(Protocol):
    """Renders a stored run's analysis into files under the run directory."""

    name: str

    def render(self, run: RunStore, analysis: Mapping[str, Any]) -> list[Path]: ...


ReporterFactory = Callable[[Mapping[str, Any]], Reporter]


@runtime_checkable
class RunStore(Protocol):
    """Durable storage of one run: a manifest plus append-only tables.

    Tables are ``generations``, ``scores`` and ``verdicts``. ``append`` must be atomic per call
    (a crash leaves either the whole batch or none of it). ``read`` returns one table with, for
    any key written more than once, only the latest row.
    """

    path: Path

    def write_manifest(self, manifest: Mapping[str, Any]) -> None: ...

    def read_manifest(self) -> dict[str, Any]: ...

    def append(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def read(self, table: str) -> pyarrow.Table: ...


StoreFactory = Callable[[Path], RunStore]


@attrs.frozen
class CheckReport:
    """What one ``qframe doctor`` check found about an engine on this machine.

    ``facts`` are printed as ``key: value`` lines (build options, versions, CPU features);
    each of ``failures`` is one line that names what fails and how to fix it. A check that
    finds its engine absent returns ``installed=False`` and no failures.
    """

    facts: Mapping[str, str]
    failures: tuple[str, ...] = ()
    installed: bool = True


CheckFactory = Callable[[], CheckReport]
"""A ``qframe doctor`` check: runs the engine's own checks (native calls in child processes)."""
