"""Expand an experiment into work items and order them into schedule units.

A work item is one (variant, task, sample, repetition); every variant gets the same samples
and the same request (the paired design). Each repetition of an item has its own sampling seed,
derived from the experiment's seed, the task, the sample and the repetition (:func:`item_seed`):
the same for every variant, different between repetitions, and stored with the generation. A unit is a run of items for one variant that the
runner executes together; the schedule decides their order:

- ``sequential``: one unit per variant, variant after variant (engines that hold one model).
- ``round_robin``: items cut into blocks of ``block_size`` (task, sample, repetition) keys; each
  block runs once per variant, with the starting variant rotated from block to block, so slow
  drift of the machine's speed does not favour one variant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

import attrs

from qframe.config import Experiment, VariantSection
from qframe.data.records import ItemKey
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, Sample


@attrs.frozen
class WorkItem:
    variant: VariantSection = attrs.field(hash=False)
    task: str
    mode: str
    sample: Sample = attrs.field(hash=False)
    repetition: int

    @property
    def key(self) -> ItemKey:
        return ItemKey(self.variant.id, self.task, self.sample.id, self.repetition)

    def seed(self, experiment_seed: int) -> int:
        return item_seed(experiment_seed, self.task, self.sample.id, self.repetition)


def item_seed(experiment_seed: int, task: str, sample_id: str, repetition: int) -> int:
    """The sampling seed of one repetition of one item: a 31-bit hash, stable across runs and hosts."""
    digest = hashlib.sha256(f"{experiment_seed}\x1f{task}\x1f{sample_id}\x1f{repetition}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@attrs.frozen
class Unit:
    variant: VariantSection = attrs.field(hash=False)
    items: tuple[WorkItem, ...]


def backend_spec(experiment: Experiment, variant: VariantSection) -> BackendSpec:
    """How to build a variant's backend: plain data, so it can be built in another process."""
    settings = experiment.experiment
    return BackendSpec(variant.backend, variant.model, variant.quant, settings.seed, variant.options, settings.top_logprobs)


def build_request(experiment: Experiment, sample: Sample, seed: int) -> GenerationRequest:
    """The request for one repetition of a sample (``seed`` from :func:`item_seed`): identical for every variant."""
    settings = experiment.experiment
    return GenerationRequest(
        prompt=sample.prompt,
        system=sample.system,
        max_tokens=settings.max_tokens if sample.max_tokens is None else sample.max_tokens,
        temperature=settings.temperature,
        seed=seed,
        stop=sample.stop,
        top_logprobs=settings.top_logprobs,
        chat=chat_mode(experiment, sample),
    )


def chat_mode(experiment: Experiment, sample: Sample) -> bool:
    """Whether the sample is asked as a chat turn: its own setting, else the experiment's."""
    return experiment.experiment.chat if sample.chat is None else sample.chat


def expand_items(
    experiment: Experiment,
    samples_by_task: Mapping[str, Sequence[Sample]],
    modes: Mapping[str, str],
    skip: set[ItemKey] | frozenset[ItemKey] = frozenset(),
    variants: Sequence[VariantSection] | None = None,
) -> list[WorkItem]:
    """Every (variant, task, sample, repetition) not in ``skip``, in a stable order, for
    ``variants`` (default: every variant of the experiment)."""
    items = []
    for variant in experiment.resolved_variants() if variants is None else variants:
        for task_id, samples in samples_by_task.items():
            for sample in samples:
                for repetition in range(experiment.experiment.repetitions):
                    item = WorkItem(variant, task_id, modes[task_id], sample, repetition)
                    if item.key not in skip:
                        items.append(item)
    return items


def schedule(items: Iterable[WorkItem], variants: Sequence[VariantSection], mode: str, block_size: int) -> list[Unit]:
    """Order items into units for the given schedule mode."""
    by_variant: dict[str, list[WorkItem]] = {variant.id: [] for variant in variants}
    for item in items:
        by_variant[item.variant.id].append(item)
    if mode == "sequential":
        return [Unit(v, tuple(by_variant[v.id])) for v in variants if by_variant[v.id]]
    if mode != "round_robin":
        raise ValueError(f"unknown schedule mode {mode!r}; allowed: sequential, round_robin")
    block_keys: list[tuple[str, str, int]] = []
    seen: set[tuple[str, str, int]] = set()
    for variant in variants:
        for item in by_variant[variant.id]:
            key = (item.task, item.sample.id, item.repetition)
            if key not in seen:
                seen.add(key)
                block_keys.append(key)
    block_of = {key: index // block_size for index, key in enumerate(block_keys)}
    blocks: dict[tuple[int, str], list[WorkItem]] = {}
    for variant in variants:
        for item in by_variant[variant.id]:
            blocks.setdefault((block_of[(item.task, item.sample.id, item.repetition)], variant.id), []).append(item)
    units = []
    for block in range(len(block_keys) // block_size + 1):
        rotation = block % len(variants)
        for variant in [*variants[rotation:], *variants[:rotation]]:
            chunk = blocks.get((block, variant.id))
            if chunk:
                units.append(Unit(variant, tuple(chunk)))
    return units
