"""Smaller conformance suites: tasks, metrics, judges and reporters.

Like :class:`qframe.testing.BackendConformance`, subclass one as ``Test<Something>`` and set
its class attributes; override the ``conformance_items`` fixture where the default items do not
suit the plugin (a multiple-choice metric needs choices, for instance).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from qframe.plugin_api.protocols import BackendSpec, Sample, ScoringItem, Verdict
from qframe.testing._support import check, resolve_factory

MODES = ("generate", "loglikelihood")

DEFAULT_PAIRS = (
    ("The cat sat on the mat.", "The cat sat on the mat."),
    ("A dog ran in the park today.", "The cat sat on the mat."),
    ("I cannot help with that request.", "Here is how to bake bread."),
    ("", "Paris is the capital of France."),
)


def scoring_items(pairs: Sequence[tuple[str, str]] = DEFAULT_PAIRS) -> list[ScoringItem]:
    """``(output, reference)`` pairs as stored generations of one variant (baseline = reference)."""
    items = []
    for index, (text, reference) in enumerate(pairs):
        sample = Sample(
            id=f"item-{index}", prompt=f"Question {index}?", reference=reference, metadata={"category": "benign"}
        )
        items.append(ScoringItem("v", "task", sample, 0, {"text": text}, {"text": reference}))
    return items


class TaskConformance:
    """Stable ids, the declared mode and a schema the runner can use."""

    task: ClassVar[str | Callable[..., Any]] = ""
    options: ClassVar[Mapping[str, Any]] = {}
    limit: ClassVar[int] = 5
    seed: ClassVar[int] = 7

    def _make(self) -> Any:
        return resolve_factory("tasks", self.task)(dict(self.options))

    def test_task_declares_name_mode_and_metrics(self) -> None:
        task = self._make()
        check(isinstance(task.name, str) and task.name, "task has a name", f"name={task.name!r}")
        check(task.mode in MODES, "task mode is generate or loglikelihood", f"mode={task.mode!r}")
        metrics = task.default_metrics
        check(
            isinstance(metrics, tuple) and all(isinstance(m, str) for m in metrics),
            "default_metrics is a tuple of names",
            f"default_metrics={metrics!r}",
        )

    def test_sample_ids_are_unique_and_limit_is_honoured(self) -> None:
        samples = self._make().samples(self.limit, self.seed)
        check(0 < len(samples) <= self.limit, "samples honours limit", f"limit={self.limit}, got {len(samples)} items")
        check(
            all(isinstance(s, Sample) for s in samples),
            "samples are Sample objects",
            f"got {[type(s).__name__ for s in samples]}",
        )
        ids = [s.id for s in samples]
        check(
            all(isinstance(i, str) and i for i in ids) and len(set(ids)) == len(ids),
            "sample ids are unique non-empty strings",
            f"ids {ids!r}",
        )

    def test_samples_are_stable(self) -> None:
        first = self._make().samples(self.limit, self.seed)
        again = self._make().samples(self.limit, self.seed)
        check(
            [(s.id, s.prompt) for s in first] == [(s.id, s.prompt) for s in again],
            "samples are stable for a seed",
            "two task instances gave different items for the same limit and seed",
        )

    def test_samples_fit_the_mode(self) -> None:
        task = self._make()
        for sample in task.samples(self.limit, self.seed):
            if task.mode == "generate":
                check(
                    isinstance(sample.prompt, str) and sample.prompt.strip(),
                    "generate items have a prompt",
                    f"{sample.id}: prompt {sample.prompt!r}",
                )
            else:
                check(
                    isinstance(sample.context, str) and len(sample.continuations) >= 2,
                    "loglikelihood items have a context and two or more continuations",
                    f"{sample.id}",
                )
                check(
                    sample.answer is None or sample.answer in sample.choice_labels,
                    "the answer is one of the choice labels",
                    f"{sample.id}: answer {sample.answer!r}, labels {sample.choice_labels!r}",
                )


class MetricConformance:
    """One value per item, within the declared range, deterministic, batch = single."""

    metric: ClassVar[str | Callable[..., Any]] = ""
    options: ClassVar[Mapping[str, Any]] = {}
    value_range: ClassVar[tuple[float, float] | None] = (0.0, 1.0)
    """Inclusive bounds of every value; None for an unbounded metric."""

    @pytest.fixture
    def conformance_items(self) -> list[ScoringItem]:
        return scoring_items()

    def _make(self) -> Any:
        return resolve_factory("metrics", self.metric)(dict(self.options))

    def test_one_value_per_item_in_range(self, conformance_items: list[ScoringItem]) -> None:
        metric = self._make()
        check(isinstance(metric.name, str) and metric.name, "metric has a name", f"name={metric.name!r}")
        check(
            all(isinstance(k, str) and isinstance(v, str) for k, v in dict(metric.params).items()),
            "metric params map strings to strings",
            f"params={metric.params!r}",
        )
        values = metric.score(conformance_items)
        check(
            len(values) == len(conformance_items),
            "one value per item",
            f"{len(conformance_items)} items, {len(values)} values",
        )
        low, high = self.value_range or (-math.inf, math.inf)
        bad = [v for v in values if v is not None and not (math.isfinite(v) and low <= v <= high)]
        check(not bad, f"values are finite and within {self.value_range}", f"got {values!r}")
        check(
            any(v is not None for v in values),
            "the metric applies to the conformance items",
            f"all values None: {values!r}",
        )

    def test_scores_are_deterministic(self, conformance_items: list[ScoringItem]) -> None:
        metric = self._make()
        first, again = metric.score(conformance_items), self._make().score(conformance_items)
        check(first == again, "scores are deterministic", f"{first!r} then {again!r}")

    def test_batch_equals_single(self, conformance_items: list[ScoringItem]) -> None:
        metric = self._make()
        batch = metric.score(conformance_items)
        single = [metric.score([item])[0] for item in conformance_items]
        check(_same(batch, single), "batch = single", f"scored together {batch!r}, one at a time {single!r}")


class JudgeConformance:
    """Labels from the declared set, one verdict per item, unparsed output never coerced."""

    judge: ClassVar[str | Callable[..., Any]] = ""
    options: ClassVar[Mapping[str, Any]] = {}
    labels: ClassVar[frozenset[str]] = frozenset()
    """Every label the judge may give (``unparsed`` is always allowed)."""
    unparseable_options: ClassVar[Mapping[str, Any] | None] = None
    """Options under which the judge's model replies with output it cannot parse (e.g. a mock
    backend with garbage responses); None for a judge that always parses (a regex judge)."""

    @pytest.fixture
    def conformance_items(self) -> list[ScoringItem]:
        return scoring_items()

    def _verdicts(self, options: Mapping[str, Any], items: list[ScoringItem]) -> list[Verdict]:
        judge = resolve_factory("judges", self.judge)(dict(options), _installed_backend)
        return asyncio.run(judge.judge(items))

    def test_verdicts_use_declared_labels(self, conformance_items: list[ScoringItem]) -> None:
        check(self.labels, "judge declares its labels", "set labels to the judge's label set")
        verdicts = self._verdicts(self.options, conformance_items)
        check(
            len(verdicts) == len(conformance_items),
            "one verdict per item",
            f"{len(conformance_items)} items, {len(verdicts)} verdicts",
        )
        for verdict in verdicts:
            check(
                isinstance(verdict, Verdict) and isinstance(verdict.raw, str),
                "verdicts are Verdict objects with raw text",
                f"{verdict!r}",
            )
            check(
                verdict.label in self.labels | {"unparsed"},
                "labels come from the declared set",
                f"label {verdict.label!r} not in {sorted(self.labels)}",
            )

    def test_unparsed_output_is_never_coerced(self, conformance_items: list[ScoringItem]) -> None:
        if self.unparseable_options is None:
            pytest.skip("the judge declares no unparseable output (unparseable_options = None)")
        verdicts = self._verdicts({**self.options, **self.unparseable_options}, conformance_items)
        labels = [verdict.label for verdict in verdicts]
        check(
            labels == ["unparsed"] * len(conformance_items),
            "unparsed output is never coerced to a label",
            f"got {labels!r}",
        )


class ReporterConformance:
    """Renders an empty and a full analysis of a small mock run (needs the ``qframe-mock`` and
    ``qframe-store-arrow`` plugins installed)."""

    reporter: ClassVar[str | Callable[..., Any]] = ""
    options: ClassVar[Mapping[str, Any]] = {}

    def _render(self, run_dir: Path, items: int) -> list[Path]:
        from qframe.config import structure_experiment
        from qframe.plugin_api.plugins import get_host
        from qframe.run.session import analyse, execute, new_session

        config = {
            "experiment": {"name": "conformance", "max_tokens": 8, "warmup": 0},
            "ladder": {"backend": "mock", "model": "m-{quant}", "quants": ["F16", "Q4_K_M"], "baseline": "F16"},
            "tasks": [{"name": "mock", "limit": max(items, 1)}],
            "reports": [],
        }
        session = new_session(structure_experiment(config), get_host(), run_dir.parent, run_dir.name)
        if items:
            asyncio.run(execute(session, progress=False))
        reporter = resolve_factory("reporters", self.reporter)(dict(self.options))
        paths = reporter.render(session.store, analyse(session))
        check(isinstance(paths, list) and paths, "render returns the files it wrote", f"got {paths!r}")
        for path in paths:
            check(
                Path(path).is_file() and Path(path).stat().st_size > 0,
                "rendered files exist and are not empty",
                f"{path}",
            )
            check(
                Path(run_dir) in Path(path).parents,
                "reports are written inside the run directory",
                f"{path} is outside {run_dir}",
            )
        return paths

    def test_renders_an_empty_analysis(self, tmp_path: Path) -> None:
        self._render(tmp_path / "empty", items=0)

    def test_renders_a_full_analysis(self, tmp_path: Path) -> None:
        self._render(tmp_path / "full", items=6)


def _installed_backend(spec: BackendSpec) -> Any:
    return resolve_factory("backends", spec.backend)(spec)


def _same(left: Sequence[float | None], right: Sequence[float | None]) -> bool:
    return len(left) == len(right) and all(
        (a is None and b is None)
        or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))
        for a, b in zip(left, right, strict=True)
    )
