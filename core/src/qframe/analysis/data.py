"""Stored rows of a run, indexed once for the analysis.

Scores are indexed as ``values[(variant, task, metric)][sample_id] = value`` so that every
paired comparison is a dictionary lookup on shared item keys. Repetitions of an item are one
cluster, not independent items: an item's value is the mean over its repetitions, so that
``repetitions = 5`` with identical outcomes gives exactly the statistics of ``repetitions = 1``
and varying outcomes give a fraction per item (then tested as a bounded outcome).

Items that ask the same request (``request_id``: a harmful request plain and in each jailbreak
template) are one unit for the statistics: :meth:`RunData.outcomes` averages them into one value
keyed by the request, across tasks when pooled, so templates never multiply the evidence.
:meth:`RunData.item_outcomes` keeps the items (for listing them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from statistics import fmean
from typing import Any

import attrs

from qframe.analysis.draws import REQUEST, DrawUnit, draw_positions, units_of_rows
from qframe.analysis.quality import QUALITY, continuous_metrics, proportion_metrics, resolve_signals, signal_record
from qframe.analysis.safety import OUTCOME_OF_CATEGORY, is_safety_measure, verdict_outcomes
from qframe.plugin_api.protocols import CONTINUOUS, QualitySignal

ItemId = str
"""The sample id: the key two variants share for the same item (over all its repetitions)."""

POOLED = "*"
"""Task name of pooled benchmark rows (every task scored with the benchmark metric)."""


@attrs.frozen
class DrawOrder:
    """A sequential run's draw order as the statistics read it: ``place`` maps a unit key of
    :meth:`RunData.outcomes` to its sort key; ``horizon`` is the most units a variant can draw
    (``max_items``, else the pool), which the confidence sequences are tuned to."""

    place: Callable[[Any], tuple[float, int]]
    horizon: int | None = None


class RunData:
    """The manifest's variants with their baselines, plus the stored tables as rows.

    ``fidelity`` holds the per-position comparison rows of the fidelity table (see
    :func:`fidelity_comparisons`), without the baseline's reference lists. ``draws`` is the
    manifest's ``sequential`` entry of a run that stops when decided (its seed and strata
    sizes): its comparisons read confidence sequences in the draw order (:meth:`draw_order`).
    ``quality_declared`` is the manifest's ``quality_signals`` (see :mod:`qframe.analysis.quality`):
    metric :data:`~qframe.analysis.quality.QUALITY` pools each task's proportion signal.
    :meth:`from_store` gives each alias (the manifest's ``aliases``, :mod:`qframe.run.aliases`) its
    original's rows under its own name (:func:`alias_rows`).
    """

    def __init__(
        self,
        variants: Mapping[str, Mapping[str, Any]],
        generations: Sequence[Mapping[str, Any]],
        scores: Sequence[Mapping[str, Any]],
        verdicts: Sequence[Mapping[str, Any]] = (),
        judge_plugins: Mapping[str, str] | None = None,
        fidelity: Sequence[Mapping[str, Any]] = (),
        draws: Mapping[str, Any] | None = None,
        quality_declared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.variants = dict(variants)
        self.draws = draws
        self.quality_declared = dict(quality_declared or {})
        self.fidelity = fidelity
        self.judge_plugins = dict(judge_plugins or {})
        self.generations = generations
        self.scores = scores
        self.verdicts = verdicts
        baseline_of_family = {facts.get("family", ""): vid for vid, facts in self.variants.items() if facts.get("baseline")}
        self.baseline_of = {vid: baseline_of_family.get(facts.get("family", ""), vid) for vid, facts in self.variants.items()}
        self._pooled: dict[tuple[str, str], dict[tuple[str, str], float]] = {}
        self._units: dict[tuple[str, str, str], dict[Any, float]] = {}

    @classmethod
    def from_store(cls, store: Any, manifest: Mapping[str, Any]) -> RunData:
        judges = manifest.get("config", {}).get("judges", {})
        aliases = manifest.get("aliases") or {}
        return cls(
            manifest["variants"],
            alias_rows(store.read("generations").to_pylist(), aliases),
            alias_rows(store.read("scores").to_pylist(), aliases),
            alias_rows(store.read("verdicts").to_pylist(), aliases),
            {judge: section.get("plugin", "") for judge, section in judges.items()},
            alias_rows(fidelity_comparisons(store), aliases),
            manifest.get("sequential"),
            manifest.get("quality_signals"),
        )

    @property
    def baselines_by_family(self) -> dict[str, str]:
        """Family -> its baseline variant, in manifest order."""
        return {self.family(v): v for v in self.variants if self.is_baseline(v)}

    def family(self, variant: str) -> str:
        return self.variants[variant].get("family", "")

    def is_baseline(self, variant: str) -> bool:
        return self.baseline_of[variant] == variant

    @cached_property
    def _repetitions(self) -> dict[tuple[str, str, str], dict[ItemId, list[float]]]:
        """Every stored value per (variant, task, metric) and item, one per repetition."""
        repetitions: dict[tuple[str, str, str], dict[ItemId, list[float]]] = defaultdict(dict)
        for row in self.scores:
            if row["value"] is not None:
                repetitions[(row["variant"], row["task"], row["metric"])].setdefault(row["sample_id"], []).append(row["value"])
        for variant, task, outcome, sample_id, _, value in verdict_outcomes(self.verdicts, self.categories):
            repetitions[(variant, task, outcome)].setdefault(sample_id, []).append(value)
        return repetitions

    @cached_property
    def values(self) -> dict[tuple[str, str, str], dict[ItemId, float]]:
        """Scores, plus safety verdicts as binary outcomes (see :mod:`qframe.analysis.safety`)."""
        return {
            key: {sample_id: fmean(values) for sample_id, values in items.items()}
            for key, items in self._repetitions.items()
        }

    @cached_property
    def binary_metrics(self) -> frozenset[tuple[str, str]]:
        """(task, metric) pairs whose every stored value, in every variant and repetition, is 0 or 1.

        Their item (and request) means are bounded outcomes: fractions of 0/1 outcomes, tested
        with :func:`qframe.analysis.stats.bounded_interval`, not as free-ranging metric values.
        """
        seen: dict[tuple[str, str], bool] = {}
        for (_, task, metric), items in self._repetitions.items():
            binary = all(value in (0.0, 1.0) for values in items.values() for value in values)
            seen[(task, metric)] = seen.get((task, metric), True) and binary
        return frozenset(key for key, binary in seen.items() if binary)

    def from_binary(self, task: str, metric: str) -> bool:
        """Whether ``metric`` on ``task`` (every pooled task for ``POOLED``) is made of 0/1 outcomes."""
        if task != POOLED:
            return (task, metric) in self.binary_metrics
        pairs = self.pool_members(metric)
        return bool(pairs) and all(pair in self.binary_metrics for pair in pairs)

    @cached_property
    def quality_signals(self) -> dict[str, QualitySignal]:
        """Each task's quality signal (declared, else inferred: :mod:`qframe.analysis.quality`)."""
        return resolve_signals(self.quality_declared, self.metric_keys, self.safety_tasks)

    def pool_members(self, metric: str) -> list[tuple[str, str]]:
        """The (task, metric) pairs pooled as ``metric``: for :data:`QUALITY`, each task's
        proportion signal; else ``metric`` on every task that reports it (safety scores only
        from safety measures)."""
        if metric == QUALITY:
            return sorted(proportion_metrics(self.quality_signals).items())
        return [(t, m) for t, m in self.metric_keys if m == metric and self.poolable(t, metric)]

    def quality_pools(self, benchmark_metric: str) -> dict[str, dict[str, Any]]:
        """Task -> the quality score the analysis pools for it (the analysis' ``quality_signals``):
        the proportion pooled as ``benchmark_metric``, else its continuous signal."""
        pools = {task: signal_record(QualitySignal((metric,))) for task, metric in self.pool_members(benchmark_metric)}
        for task, metrics in continuous_metrics(self.quality_signals).items():
            pools.setdefault(task, signal_record(QualitySignal(metrics, CONTINUOUS)))
        return pools

    @cached_property
    def request_of(self) -> dict[tuple[str, str], str]:
        """(task, sample_id) -> the request the item asks, for items that share one."""
        return {(r["task"], r["sample_id"]): r["request_id"] for r in self.generations if r.get("request_id")}

    @cached_property
    def categories(self) -> dict[tuple[str, str], str]:
        """(task, sample_id) -> what the item probes (harmful, benign...), where tasks say."""
        return {(r["task"], r["sample_id"]): r["category"] for r in self.generations if r.get("category")}

    @cached_property
    def safety_tasks(self) -> frozenset[str]:
        """Tasks whose items probe safety (refusal, over-refusal, truthfulness, bias).

        Their scores are safety measures: a multiple-choice bias suite scored for accuracy must
        never be pooled into the benchmark accuracy that quality tiers read.
        """
        return frozenset(task for (task, _), category in self.categories.items() if category in OUTCOME_OF_CATEGORY)

    @cached_property
    def metric_keys(self) -> list[tuple[str, str]]:
        """Every (task, metric) that has at least one score, sorted."""
        return sorted({(task, metric) for _, task, metric in self.values})

    @cached_property
    def rows_by_variant(self) -> dict[str, list[Mapping[str, Any]]]:
        index: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for row in self.generations:
            index[row["variant"]].append(row)
        return index

    @cached_property
    def groups(self) -> dict[tuple[str, str], str]:
        """(task, sample_id) -> the item's cluster (e.g. MMLU subject), where tasks set one."""
        return {(r["task"], r["sample_id"]): r["group"] for r in self.generations if r.get("group")}

    @cached_property
    def request_groups(self) -> dict[str, str]:
        """request_id -> the cluster of its items (their first stored group)."""
        found: dict[str, str] = {}
        for key, request in self.request_of.items():
            if key in self.groups:
                found.setdefault(request, self.groups[key])
        return found

    def cluster(self, task: str, unit: Any) -> str | None:
        """The cluster of a unit key of :meth:`outcomes` (pooled units fall back on their task)."""
        if task == POOLED:
            kind, name = unit
            if kind == REQUEST:
                return self.request_groups.get(name)
            return self.groups.get((kind, name)) or kind
        return self.request_groups.get(unit) or self.groups.get((task, unit))

    @cached_property
    def _draw_positions(self) -> dict[DrawUnit, tuple[float, int]]:
        assert self.draws is not None
        return draw_positions(units_of_rows(self.generations), self.draws["seed"], self.draws["strata"])

    def draw_order(self, task: str) -> DrawOrder | None:
        """Place of each unit key of ``outcomes(..., task, ...)`` in the draw order, for a run that
        stops when decided; None for a run of planned size (its intervals are fixed-n)."""
        if self.draws is None:
            return None
        positions = self._draw_positions

        def place(unit: Any) -> tuple[float, int]:
            if task == POOLED:
                return positions[unit]
            return positions.get((task, unit)) or positions[(REQUEST, unit)]

        return DrawOrder(place, self.draws.get("max_items") or self.draws.get("pool_units"))

    def poolable(self, task: str, metric: str) -> bool:
        """Whether a task's metric joins the pool: safety measures always; other scores (such as
        accuracy on a bias suite) only outside safety tasks, so they never reach quality."""
        return is_safety_measure(metric) or task not in self.safety_tasks

    def pooled(self, variant: str, metric: str) -> dict[tuple[str, str], float]:
        """One metric over every task that has it, keyed (task, sample_id)."""
        cached = self._pooled.get((variant, metric))
        if cached is not None:
            return cached
        pooled: dict[tuple[str, str], float] = {}
        for task, name in self.pool_members(metric):
            for sample_id, value in self.values.get((variant, task, name), {}).items():
                pooled[(task, sample_id)] = value
        self._pooled[(variant, metric)] = pooled
        return pooled

    def item_outcomes(self, variant: str, task: str, metric: str) -> Mapping[Any, float]:
        """Per-item values of one metric; ``task == POOLED`` pools every task, keyed (task, sample_id)."""
        if task == POOLED:
            return self.pooled(variant, metric)
        return self.values.get((variant, task, metric), {})

    def outcomes(self, variant: str, task: str, metric: str) -> Mapping[Any, float]:
        """Per-unit values of one metric, the statistics' input: items, except that items sharing a
        request are averaged into one unit keyed by the request id (``(REQUEST, id)`` when pooled)."""
        items = self.item_outcomes(variant, task, metric)
        if not self.request_of:
            return items
        cached = self._units.get((variant, task, metric))
        if cached is not None:
            return cached
        grouped: dict[Any, list[float]] = {}
        for key, value in items.items():
            request = self.request_of.get(key if task == POOLED else (task, key))
            unit = key if request is None else ((REQUEST, request) if task == POOLED else request)
            grouped.setdefault(unit, []).append(value)
        units = {unit: fmean(values) for unit, values in grouped.items()}
        self._units[(variant, task, metric)] = units
        return units


FIDELITY_COLUMNS = ("variant", "task", "sample_id", "repetition", "method", "kl", "top1_match", "logprob_delta")


def fidelity_comparisons(store: Any) -> list[dict[str, Any]]:
    """The fidelity table's comparison rows (those with per-position KL), only the columns the
    analysis reads: the references' top-k lists stay in Arrow."""
    import pyarrow.compute as pc

    table = store.read("fidelity")
    kept = table.filter(pc.and_(pc.is_valid(table["kl"]), pc.is_null(table["error"])))
    return kept.select(list(FIDELITY_COLUMNS)).to_pylist()


def paired(a: Mapping[Any, float], b: Mapping[Any, float]) -> tuple[list[Any], list[float], list[float]]:
    """Shared keys (in ``a``'s order, which follows the stored rows) and the two value lists."""
    keys = [key for key in a if key in b]
    return keys, [a[k] for k in keys], [b[k] for k in keys]


def alias_rows(rows: Sequence[Mapping[str, Any]], aliases: Mapping[str, str]) -> list[Mapping[str, Any]]:
    """``rows`` plus, for each alias, a copy of its original's rows under the alias's name."""
    if not aliases:
        return list(rows)
    originals: dict[str, list[str]] = {}
    for alias, original in aliases.items():
        originals.setdefault(original, []).append(alias)
    copies = [dict(row, variant=alias) for row in rows for alias in originals.get(row.get("variant"), ())]
    return [*rows, *copies]
