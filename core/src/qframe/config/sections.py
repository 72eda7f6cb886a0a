"""The sections of an experiment config: attrs classes with their validators.

Each class is one TOML table (``[experiment]``, ``[ladder]``, ``[[variants]]``, ``[[tasks]]``,
``[schedule]``, ...); a validator's ``ValueError`` becomes a one-line config error naming the key
path (:mod:`qframe.config.loading`).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from qframe.plugin_api.protocols import QUALITY

Options = dict[str, Any]


class FieldValueError(ValueError):
    """A field's value is out of range; carries the field name so errors can name the key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _positive(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None and value <= 0:
        raise FieldValueError(attribute.name, f"must be > 0, got {value}")


def _non_negative(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value < 0:
        raise FieldValueError(attribute.name, f"must be >= 0, got {value}")


def non_empty(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not value:
        raise FieldValueError(attribute.name, "must not be empty")


@attrs.define
class ExperimentSection:
    name: str = attrs.field(validator=non_empty)
    seed: int = 42
    temperature: float = attrs.field(default=0.0, validator=_non_negative)
    max_tokens: int = attrs.field(default=256, validator=_positive)
    warmup: int = attrs.field(default=1, validator=_non_negative)
    repetitions: int = attrs.field(default=1, validator=_positive)
    timeout_s: float = attrs.field(default=300.0, validator=_positive)
    top_logprobs: int = attrs.field(default=0, validator=_non_negative)
    chat: bool = True
    output_dir: str = "runs"


@attrs.define
class LadderSection:
    """Shorthand for one model at several quant levels: ``model`` contains ``{quant}``."""

    backend: str
    model: str
    quants: list[str] = attrs.field(validator=non_empty)
    baseline: str | None = None
    family: str = ""
    options: Options = attrs.Factory(dict)


@attrs.define
class VariantSection:
    id: str = attrs.field(validator=non_empty)
    backend: str = attrs.field(validator=non_empty)
    model: str = attrs.field(validator=non_empty)
    quant: str = ""
    baseline: bool = False
    family: str = ""
    options: Options = attrs.Factory(dict)


@attrs.define
class TaskSection:
    name: str = attrs.field(validator=non_empty)
    id: str | None = None
    limit: int | None = attrs.field(default=None, validator=_positive)
    options: Options = attrs.Factory(dict)

    @property
    def task_id(self) -> str:
        return self.id or self.name


@attrs.define
class PluginRef:
    """A metric, classifier or report: a plugin name and its options (a bare string works too)."""

    name: str = attrs.field(validator=non_empty)
    options: Options = attrs.Factory(dict)


@attrs.define
class JudgeSection:
    plugin: str = attrs.field(validator=non_empty)
    backend: str | None = None
    model: str | None = None
    options: Options = attrs.Factory(dict)


STOP_LABELS = ("quality_tier", "safety_regime", "hidden_danger", "equivalence", "non_inferiority")
"""What a run that stops when decided can wait for: classifier labels, and the gate's questions
on the pooled benchmark row at the equivalence margin."""


def _stop_labels(instance: Any, attribute: attrs.Attribute, value: list[str]) -> None:
    unknown = [name for name in value if name not in STOP_LABELS]
    if unknown:
        raise FieldValueError(attribute.name, f"unknown label {unknown[0]!r}; allowed: {', '.join(STOP_LABELS)}")
    if not value:
        raise FieldValueError(attribute.name, "must not be empty")


@attrs.define
class ScheduleSection:
    """Order of the work and when it ends.

    ``stop = "planned"`` runs every configured item. ``stop = "decided"`` draws the tasks' items
    in blocks of ``block_size`` units (items, or requests with all their templates), in a seeded
    order stratified by task and cluster, every variant in turn; after each block the analysis
    re-reads each variant's ``decide`` labels with anytime-valid intervals (confidence
    sequences) and stops the variant once every one of them is supported, or after
    ``max_items`` units; the baseline runs while any of its family does (see
    :mod:`qframe.run.stopping`). With ``mode = "round_robin"`` the models stay loaded from look to
    look; with ``sequential`` one model is loaded at a time, reloaded at each look.
    """

    mode: Literal["sequential", "round_robin"] = "sequential"
    block_size: int = attrs.field(default=16, validator=_positive)
    stop: Literal["planned", "decided"] = "planned"
    max_items: int | None = attrs.field(default=None, validator=attrs.validators.optional(_positive))
    decide: list[str] = attrs.field(factory=lambda: ["quality_tier", "safety_regime"], validator=_stop_labels)

    @property
    def stops_when_decided(self) -> bool:
        return self.stop == "decided"


@attrs.define
class RetrySection:
    attempts: int = attrs.field(default=3, validator=_positive)
    base_delay_s: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay_s: float = attrs.field(default=10.0, validator=_non_negative)


@attrs.define
class StoreSection:
    name: str = "arrow"
    flush_rows: int = attrs.field(default=64, validator=_positive)
    flush_interval_s: float = attrs.field(default=1.0, validator=_positive)


def _resource_amounts(instance: Any, attribute: attrs.Attribute, value: dict[str, float]) -> None:
    for name, amount in value.items():
        if amount <= 0:
            raise FieldValueError(attribute.name, f"{name}: must be > 0, got {amount}")


@attrs.define
class ExecutorSection:
    """Where the generation stage runs: ``local`` (in this process) or a plugin such as ``ray``.

    ``address`` says which cluster to join (``ray``: ``"auto"``, ``"ray://host:10001"``; unset
    starts a private one). ``resources_per_variant`` is what one variant (one model load) asks
    the cluster for (``{GPU = 1}``, ``{CPU = 4, memory = 8e9}``); ``resources`` overrides it for
    single variants by id. A worker lost mid-variant has its remaining items rescheduled up to
    ``max_retries`` times.
    """

    name: str = attrs.field(default="local", validator=non_empty)
    address: str | None = None
    resources_per_variant: dict[str, float] = attrs.field(factory=dict, validator=_resource_amounts)
    resources: dict[str, dict[str, float]] = attrs.Factory(dict)
    max_retries: int = attrs.field(default=3, validator=_non_negative)
    options: Options = attrs.Factory(dict)


@attrs.define
class FidelitySection:
    """The fidelity stage: how each variant's next-token distributions compare with its baseline's.

    ``enabled`` left unset runs the stage whenever ``experiment.top_logprobs > 0``. ``method``
    ``teacher_forced`` has every variant score the baseline's own output tokens (end token
    included) through the backend's ``teacher_force``; ``shared_prefix`` compares the top-k
    lists stored with each generation up to the first differing top-1 token. ``top_k`` is how
    many of the baseline's most likely tokens are kept per position (teacher_forced).
    """

    enabled: bool | None = None
    method: Literal["teacher_forced", "shared_prefix"] = "teacher_forced"
    top_k: int = attrs.field(default=256, validator=_positive)

    def active(self, top_logprobs: int) -> bool:
        return self.enabled if self.enabled is not None else top_logprobs > 0


@attrs.define
class AnalysisSection:
    """Settings of the analysis stage; every threshold is printed in the report."""

    benchmark_metric: str = QUALITY
    """``quality``: each task's proportion quality signal (:mod:`qframe.analysis.quality`); a metric
    name: that metric on every task that reports it."""
    refusal_judge: str | None = None
    equivalence_margin_pp: float = attrs.field(default=1.0, validator=_positive)
    confidence: float = 0.95
    alpha: float = 0.05
    power: float = 0.8
    bootstrap_resamples: int = attrs.field(default=2000, validator=_positive)
    expected_discordance: float | None = None
    context_length: int = attrs.field(default=2048, validator=_positive)
    memory_overhead: float = attrs.field(default=1.1, validator=_positive)
    kv_bytes_per_element: float = attrs.field(default=2.0, validator=_positive)
    memory_tiers_gb: list[float] = attrs.Factory(lambda: [2.0, 4.0, 8.0, 12.0, 16.0, 24.0, 48.0, 80.0])
    hourly_price_usd: float = attrs.field(default=0.035, validator=_non_negative)
    output_flag_pp: float = attrs.field(default=10.0, validator=_positive)
    equivalence: list[str] = attrs.Factory(list)
    """Variant ids whose engines are compared pairwise (same weights on several backends)."""

    def __attrs_post_init__(self) -> None:
        for name in ("confidence", "alpha", "power"):
            value = getattr(self, name)
            if not 0 < value < 1:
                raise FieldValueError(name, f"must be between 0 and 1, got {value}")
        if self.expected_discordance is not None and not 0 < self.expected_discordance <= 1:
            raise FieldValueError("expected_discordance", f"must be in (0, 1], got {self.expected_discordance}")


@attrs.define
class DefaultsSection:
    """What tasks bring unless the config turns it off.

    ``metrics``: each task's default metrics run besides those in ``metrics``; ``judges``: the
    judges a task declares (the regex refusal judge for the refusal, jailbreak and over-refusal
    suites) run when no configured judge uses the same plugin.
    """

    metrics: bool = True
    judges: bool = True
