"""The ``lmeval`` task: an lm-evaluation-harness task or group through qframe's paired pipeline.

Options (``[[tasks]] name = "lmeval"``; ``name = "lmeval:<task>"`` is the short form of
``options.task``, and becomes the task's id):

* ``task``: an lm-eval task, group or tag name (``arc_easy``, ``gsm8k``, ``mmlu``), or a list;
* ``num_fewshot``: few-shot examples per prompt (default: the task's own, else 0; a task whose
  YAML fixes 0 keeps 0, as in lm-eval);
* ``include_path``: a folder (or a list) of a team's own lm-eval YAML tasks, searched first.

``limit`` applies to each leaf task, as lm-eval's ``--limit``: its first ``limit`` documents.
Few-shot examples are drawn with the experiment seed. Items of a group are clustered by leaf
task (MMLU's subjects). The manifest records lm-eval's version, each leaf task's config hash,
few-shot count and a digest of the documents drawn, and a resumed run refuses a change in them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import ORIGIN, QualitySignal, Sample
from qframe_tasks_lmeval.catalogue import leaf_tasks
from qframe_tasks_lmeval.items import leaf_samples, set_fewshot
from qframe_tasks_lmeval.support import METRIC_PREFIX, LeafPlan, plan_tasks

OPTIONS = ("task", "num_fewshot", "include_path")


def make_task(options: Mapping[str, Any]) -> LmevalTask:
    """``name = "lmeval"``: the lm-eval task named by ``options.task``."""
    return LmevalTask(options)


def make_named_task(name: str, options: Mapping[str, Any]) -> LmevalTask:
    """``name = "lmeval:<name>"``: the lm-eval task ``name``."""
    if "task" in options:
        raise ConfigError(f"task lmeval:{name}: options.task: the name already says the task; drop one")
    return LmevalTask({**options, "task": name})


class LmevalTask:
    """See the module docstring for the options."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise _option_error(unknown[0], f"unknown option; allowed: {', '.join(OPTIONS)}")
        self.names = _names(options.get("task"))
        self.name = "lmeval:" + ",".join(self.names)
        self.num_fewshot = _fewshot(options.get("num_fewshot"))
        self.include_paths = _include_paths(options.get("include_path"))
        self.leaves = {(name, leaf): task for name in self.names for leaf, task in leaf_tasks(name, self.include_paths).items()}
        self.plans: list[LeafPlan] = plan_tasks(self.name, {leaf: task for (_, leaf), task in self.leaves.items()})
        self.mode = self.plans[0].mode
        self.default_metrics = tuple(dict.fromkeys(METRIC_PREFIX + key for plan in self.plans for key in plan.metric_keys))
        self.quality: QualitySignal = self.plans[0].quality
        self.provenance: dict[str, Any] = {}

    def samples(self, limit: int | None, seed: int) -> list[Sample]:
        """The first ``limit`` documents of each leaf task, in lm-eval's order."""
        from lm_eval import __version__

        clustered = len(self.leaves) > 1
        samples: list[Sample] = []
        tasks: dict[str, Any] = {}
        for (name, leaf), task in self.leaves.items():
            shots = set_fewshot(task, self.num_fewshot, seed)
            drawn = leaf_samples(leaf, task, limit, shots, [name, list(self.include_paths)], clustered)
            samples.extend(drawn)
            tasks[leaf] = {
                "config_sha256": _config_hash(task),
                "num_fewshot": shots,
                "documents_sha256": hashlib.sha256("".join(s.metadata["lmeval"]["doc_hash"] for s in drawn).encode()).hexdigest(),
                "documents": len(drawn),
            }
        self.provenance = {ORIGIN: f"lm-eval {__version__}: {', '.join(tasks)}", "lm_eval": __version__,
                           "fewshot_seed": seed, "tasks": tasks}
        return samples


def _names(value: Any) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not names or not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise _option_error("task", "name an lm-eval task, group or tag (a string or a list), e.g. task = \"arc_easy\"")
    return tuple(names)


def _fewshot(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _option_error("num_fewshot", f"must be a whole number >= 0, got {value!r}")
    return value


def _include_paths(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise _option_error("include_path", f"must be a folder or a list of folders, got {value!r}")
    resolved = []
    for path in paths:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise _option_error("include_path", f"{path}: no such folder of lm-eval YAML tasks")
        resolved.append(str(folder.resolve()))
    return tuple(resolved)


def _config_hash(task: Any) -> str:
    """SHA-256 of the task's lm-eval config; functions are named, never their addresses."""
    config = dict(task.dump_config())
    metadata = dict(config.get("metadata") or {})
    metadata.pop("config_source", None)  # where the YAML lies is not what it says
    config["metadata"] = metadata
    text = json.dumps(config, sort_keys=True, default=_describe_value)
    return hashlib.sha256(text.encode()).hexdigest()


def _describe_value(value: Any) -> str:
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__name__)}"
    return type(value).__name__


def _option_error(option: str, message: str) -> ConfigError:
    return ConfigError(f"task lmeval: options.{option}: {message}")
