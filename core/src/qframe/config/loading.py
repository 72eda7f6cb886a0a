"""Reading a config: TOML -> the attrs classes of :mod:`qframe.config.experiment`, with
one-line errors naming the key path.

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
from typing import TYPE_CHECKING, Any

from qframe.config.errors import describe_structure_error
from qframe.config.experiment import Experiment, resolve_variants
from qframe.config.sections import Options, PluginRef
from qframe.plugin_api.errors import ConfigError

if TYPE_CHECKING:
    from qframe.plugin_api.plugins import PluginHost


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
    variants = resolve_variants(experiment)  # raises on ladder/variant inconsistencies
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
