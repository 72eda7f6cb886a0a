"""Experiment configuration: TOML -> attrs classes, with one-line errors naming the key path.

Structuring uses cattrs with unknown keys forbidden and strict scalar types (a string is never
silently turned into a number). :func:`load_experiment` also checks that every backend, task,
metric, judge, classifier, reporter and store named in the file is provided by a plugin.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from qframe.config_errors import describe_structure_error
from qframe.errors import ConfigError
from qframe.protocols import QUALITY

if TYPE_CHECKING:
    from qframe.plugins import PluginHost

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


def _non_empty(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not value:
        raise FieldValueError(attribute.name, "must not be empty")


@attrs.define
class ExperimentSection:
    name: str = attrs.field(validator=_non_empty)
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
    quants: list[str] = attrs.field(validator=_non_empty)
    baseline: str | None = None
    family: str = ""
    options: Options = attrs.Factory(dict)


@attrs.define
class VariantSection:
    id: str = attrs.field(validator=_non_empty)
    backend: str = attrs.field(validator=_non_empty)
    model: str = attrs.field(validator=_non_empty)
    quant: str = ""
    baseline: bool = False
    family: str = ""
    options: Options = attrs.Factory(dict)


@attrs.define
class TaskSection:
    name: str = attrs.field(validator=_non_empty)
    id: str | None = None
    limit: int | None = attrs.field(default=None, validator=_positive)
    options: Options = attrs.Factory(dict)

    @property
    def task_id(self) -> str:
        return self.id or self.name


@attrs.define
class PluginRef:
    """A metric, classifier or report: a plugin name and its options (a bare string works too)."""

    name: str = attrs.field(validator=_non_empty)
    options: Options = attrs.Factory(dict)


@attrs.define
class JudgeSection:
    plugin: str = attrs.field(validator=_non_empty)
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
    :mod:`qframe.stopping`). With ``mode = "round_robin"`` the models stay loaded from look to
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

    name: str = attrs.field(default="local", validator=_non_empty)
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


@attrs.define
class Experiment:
    experiment: ExperimentSection
    tasks: list[TaskSection] = attrs.field(validator=_non_empty)
    ladder: LadderSection | None = None
    variants: list[VariantSection] = attrs.Factory(list)
    metrics: list[PluginRef] = attrs.Factory(list)
    judges: dict[str, JudgeSection] = attrs.Factory(dict)
    classifiers: list[PluginRef] = attrs.Factory(list)
    reports: list[PluginRef] = attrs.Factory(list)
    schedule: ScheduleSection = attrs.Factory(ScheduleSection)
    concurrency: dict[str, int] = attrs.Factory(dict)
    retry: RetrySection = attrs.Factory(RetrySection)
    store: StoreSection = attrs.Factory(StoreSection)
    executor: ExecutorSection = attrs.Factory(ExecutorSection)
    analysis: AnalysisSection = attrs.Factory(AnalysisSection)
    defaults: DefaultsSection = attrs.Factory(DefaultsSection)
    fidelity: FidelitySection = attrs.Factory(FidelitySection)

    def resolved_variants(self) -> list[VariantSection]:
        """Explicit variants plus the ladder expanded, with exactly one baseline."""
        return _resolve_variants(self)

    def baselines(self) -> dict[str, str]:
        """Variant id -> id of the baseline of its family."""
        variants = self.resolved_variants()
        baseline_of_family = {v.family: v.id for v in variants if v.baseline}
        return {v.id: baseline_of_family[v.family] for v in variants}


# --------------------------------------------------------------------------------------------
# Structuring
# --------------------------------------------------------------------------------------------


def _converter() -> Any:
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True)

    def strict(kind: type, accepted: tuple[type, ...]) -> None:
        def structure(value: Any, _: type) -> Any:
            if isinstance(value, bool) and kind is not bool:
                raise TypeError(f"expected {kind.__name__}, got boolean {value!r}")
            if not isinstance(value, accepted):
                raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
            return kind(value)

        converter.register_structure_hook(kind, structure)

    strict(int, (int,))
    strict(float, (int, float))
    strict(str, (str,))
    strict(bool, (bool,))

    def options(value: Any, _: type) -> Options:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a table, got {type(value).__name__} {value!r}")
        return dict(value)

    converter.register_structure_hook_func(lambda kind: kind == Options, options)

    def checked(factory: Any, accepted: type | tuple[type, ...], expected: str) -> Any:
        def make(kind: type, conv: Any) -> Any:
            inner = factory(kind, conv)

            def structure(value: Any, target: type) -> Any:
                if not isinstance(value, accepted):
                    raise TypeError(f"expected {expected}, got {type(value).__name__} {value!r}")
                return inner(value, target)

            return structure

        return make

    from cattrs.cols import list_structure_factory, mapping_structure_factory

    converter.register_structure_hook_factory(
        lambda kind: typing.get_origin(kind) is list, checked(list_structure_factory, (list, tuple), "an array")
    )
    converter.register_structure_hook_factory(
        lambda kind: typing.get_origin(kind) is dict and kind != Options,
        checked(mapping_structure_factory, Mapping, "a table"),
    )

    plugin_ref_hook = converter.gen_structure_attrs_fromdict(PluginRef)

    def plugin_ref(value: Any, _: type) -> PluginRef:
        if isinstance(value, str):
            return PluginRef(name=value)
        return plugin_ref_hook(value, PluginRef)

    converter.register_structure_hook(PluginRef, plugin_ref)
    return converter


def structure_experiment(data: Mapping[str, Any]) -> Experiment:
    """Turn a parsed TOML document into an :class:`Experiment` or raise a one-line ConfigError."""
    import cattrs

    try:
        experiment = _converter().structure(dict(data), Experiment)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        raise ConfigError(describe_structure_error(exc, Experiment)) from None
    variants = _resolve_variants(experiment)  # raises on ladder/variant inconsistencies
    _check_unique_task_ids(experiment)
    _check_equivalence(experiment.analysis.equivalence, [v.id for v in variants])
    for backend, limit in experiment.concurrency.items():
        if limit < 1:
            raise ConfigError(f"concurrency.{backend}: must be >= 1, got {limit}")
    fidelity, top_logprobs = experiment.fidelity, experiment.experiment.top_logprobs
    if fidelity.method == "shared_prefix" and fidelity.active(top_logprobs) and top_logprobs == 0:
        raise ConfigError("fidelity.method: shared_prefix compares stored top-k lists; set experiment.top_logprobs > 0")
    _check_executor_resources(experiment)
    return experiment


def _check_executor_resources(experiment: Experiment) -> None:
    ids = [variant.id for variant in experiment.resolved_variants()]
    for variant_id, amounts in experiment.executor.resources.items():
        if variant_id not in ids:
            raise ConfigError(f"executor.resources.{variant_id}: no such variant; variants: {', '.join(ids)}")
        for name, amount in amounts.items():
            if amount <= 0:
                raise ConfigError(f"executor.resources.{variant_id}.{name}: must be > 0, got {amount}")


def _check_equivalence(wanted: list[str], variant_ids: list[str]) -> None:
    unknown = [vid for vid in wanted if vid not in variant_ids]
    if unknown:
        raise ConfigError(f"analysis.equivalence: unknown variant {unknown[0]!r}; allowed: {', '.join(variant_ids)}")
    if wanted and len(set(wanted)) < 2:
        raise ConfigError("analysis.equivalence: name at least two different variants")


def unstructure_experiment(experiment: Experiment) -> dict[str, Any]:
    """The resolved config as plain data (for the manifest and for resume)."""
    data = _converter().unstructure(experiment)
    return {key: value for key, value in data.items() if value is not None}


def config_hash(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None


def load_experiment(path: Path, host: PluginHost | None = None) -> Experiment:
    """Read, structure and (given a plugin host) check the references of a config file."""
    experiment = structure_experiment(read_toml(path))
    if host is not None:
        check_references(experiment, host)
    return experiment


# --------------------------------------------------------------------------------------------
# Semantic checks
# --------------------------------------------------------------------------------------------


BASELINE_PREFERENCE: tuple[str, ...] = ("F32", "FP32", "BF16", "F16", "FP16", "Q8_0")
"""Quant labels chosen as a family's baseline, in order, when none is marked."""


def _resolve_variants(experiment: Experiment) -> list[VariantSection]:
    """Explicit variants plus the ladder, each model family with exactly one baseline.

    A family is one model at several precisions (``family``, default ``""``: a single model).
    Its baseline is the variant marked ``baseline``, else the first of FP32/BF16/FP16/Q8_0
    present, else its first variant.
    """
    variants = list(experiment.variants)
    ladder = experiment.ladder
    if ladder is not None:
        if "{quant}" not in ladder.model:
            raise ConfigError(f"ladder.model: must contain '{{quant}}', got {ladder.model!r}")
        if ladder.baseline is not None and ladder.baseline not in ladder.quants:
            allowed = ", ".join(ladder.quants)
            raise ConfigError(f"ladder.baseline: {ladder.baseline!r} is not in ladder.quants; allowed: {allowed}")
        for quant in ladder.quants:
            variants.append(
                VariantSection(
                    id=quant if not ladder.family else f"{ladder.family}/{quant}",
                    backend=ladder.backend,
                    model=ladder.model.replace("{quant}", quant),
                    quant=quant,
                    baseline=quant == ladder.baseline,
                    family=ladder.family,
                    options=dict(ladder.options),
                )
            )
    if not variants:
        raise ConfigError("variants: no variants; add [ladder] or [[variants]]")
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        if variant.id in seen:
            raise ConfigError(f"variants[{index}].id: duplicate variant id {variant.id!r}")
        seen.add(variant.id)
    families: dict[str, list[int]] = {}
    for index, variant in enumerate(variants):
        families.setdefault(variant.family, []).append(index)
    for family, members in families.items():
        marked = [variants[i].id for i in members if variants[i].baseline]
        if len(marked) > 1:
            where = f"family {family!r}" if family else "variants"
            raise ConfigError(f"{where}: more than one baseline ({', '.join(marked)}); mark exactly one")
        if not marked:
            chosen = _preferred_baseline([variants[i] for i in members])
            position = next(i for i in members if variants[i].id == chosen.id)
            variants[position] = attrs.evolve(chosen, baseline=True)
    return variants


def _preferred_baseline(members: list[VariantSection]) -> VariantSection:
    by_quant = {variant.quant.upper(): variant for variant in members}
    return next((by_quant[q] for q in BASELINE_PREFERENCE if q in by_quant), members[0])


def _check_unique_task_ids(experiment: Experiment) -> None:
    seen: set[str] = set()
    for index, task in enumerate(experiment.tasks):
        if task.task_id in seen:
            raise ConfigError(
                f"tasks[{index}]: duplicate task id {task.task_id!r}; give one of them an 'id'"
            )
        seen.add(task.task_id)


def check_references(experiment: Experiment, host: PluginHost) -> None:
    """Every name in the config must be provided by an installed plugin."""
    if experiment.ladder is not None:
        host.get("backends", experiment.ladder.backend, where="ladder.backend")
    for index, variant in enumerate(experiment.variants):
        host.get("backends", variant.backend, where=f"variants[{index}].backend")
    for index, task in enumerate(experiment.tasks):
        host.get("tasks", task.name, where=f"tasks[{index}].name")
    for index, metric in enumerate(experiment.metrics):
        host.get("metrics", metric.name, where=f"metrics[{index}].name")
    for judge_id, judge in experiment.judges.items():
        host.get("judges", judge.plugin, where=f"judges.{judge_id}.plugin")
        if judge.backend is not None:
            host.get("backends", judge.backend, where=f"judges.{judge_id}.backend")
    for index, classifier in enumerate(experiment.classifiers):
        host.get("classifiers", classifier.name, where=f"classifiers[{index}].name")
    for index, report in enumerate(experiment.reports):
        host.get("reporters", report.name, where=f"reports[{index}].name")
    host.get("stores", experiment.store.name, where="store.name")
    # Building the executor checks its settings; nothing connects before a run starts.
    host.get("executors", experiment.executor.name, where="executor.name").factory(experiment.executor)
    for backend in experiment.concurrency:
        if backend != "default":
            host.get("backends", backend, where=f"concurrency.{backend}")
