"""The generation tasks: the suite's items as samples, all of them or a seeded subset.

Items are stored one JSON object a line: ``id``, ``input`` and either ``reference`` or, for
extraction, ``entities`` (a list of ``{"entity", "type"}``; empty for a sentence that names
nothing). An extraction sample carries the gold entities in ``metadata["entities"]`` (what the
extraction metrics read) and, as its reference, the JSON array a perfect answer would be.

Option ``template`` replaces the suite's prompt; it must contain ``{input}``. A ``limit`` below
50 draws that many items with the experiment seed, returned in id order.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import Sample
from qframe_tasks_generation.suites import SUITES, Suite

DATA_DIR = Path(__file__).parent / "data"
OPTIONS = ("template",)


def read_items(suite: str) -> list[dict[str, Any]]:
    """The stored items of a suite, in file order."""
    lines = (DATA_DIR / f"{suite}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def to_sample(item: Mapping[str, Any], template: str, suite: str) -> Sample:
    """The sample of one stored item; its ``group`` (cluster) is the suite it comes from."""
    entities = item.get("entities")
    return Sample(
        id=item["id"],
        group=suite,
        prompt=template.format(input=item["input"]),
        reference=item["reference"] if entities is None else json.dumps(entities),
        metadata={} if entities is None else {"entities": entities},
    )


def make_task(name: str, options: Mapping[str, Any]) -> GenerationTask:
    """The generation suite registered under ``name``, built from its options."""
    return GenerationTask(next(suite for suite in SUITES if suite.name == name), options)


class GenerationTask:
    """A generation suite; see the module docstring for its option and item selection."""

    mode = "generate"

    def __init__(self, suite: Suite, options: Mapping[str, Any]) -> None:
        self.name = suite.name
        self.default_metrics = suite.default_metrics
        self.quality = suite.quality
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ConfigError(f"task {self.name}: options.{unknown[0]}: unknown option; allowed: {', '.join(OPTIONS)}")
        self.template = _checked_template(self.name, str(options.get("template", suite.template)))

    def samples(self, limit: int | None, seed: int) -> list[Sample]:
        samples = [to_sample(item, self.template, self.name) for item in read_items(self.name)]
        if limit is None or limit >= len(samples):
            return samples
        return sorted(random.Random(seed).sample(samples, limit), key=lambda sample: sample.id)


def _checked_template(task: str, template: str) -> str:
    try:
        template.format(input="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"task {task}: options.template: cannot format it ({type(exc).__name__}: {exc})") from exc
    if "{input}" not in template:
        raise ConfigError(f"task {task}: options.template: must contain {{input}}, where the item goes")
    return template
