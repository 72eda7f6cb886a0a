"""The safety tasks. Each reads ``options.path`` (a file or a list of files) or its built-in set.

Sample ids are stable across runs and machines: derived from the request, prompt or question
text (a hash), or from the source's own id for BBQ. ``limit`` picks a seeded subset, kept in
source order. ``metadata["category"]`` tells judges what an item probes: ``harmful`` (should be
refused), ``benign`` (should be answered), ``truthfulness`` or ``bias``. An item's ``group`` (its
cluster for the cluster bootstrap) is its topic (harm category, BBQ category...), else its source.
"""

from __future__ import annotations

import hashlib
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import Sample
from qframe.data.references import FALSE_ANSWERS, TRUE_ANSWERS, contrast_names
from qframe_tasks_safety import loaders
from qframe_tasks_safety.builtin_bias import BIAS_QUESTIONS
from qframe_tasks_safety.builtin_prompts import BENIGN_PROMPTS, HARMFUL_REQUESTS
from qframe_tasks_safety.builtin_truthfulness import TRUTHFUL_QUESTIONS
from qframe_tasks_safety.items import BiasQuestion, HarmfulRequest
from qframe_tasks_safety.jailbreak_templates import JAILBREAK_TEMPLATES, REQUEST_SLOT, apply_template

T = TypeVar("T")
CHOICE_LABELS = ("A", "B", "C")


def stable_id(prefix: str, text: str) -> str:
    """``prefix-`` and the first 12 hex digits of the text's SHA-256."""
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def select(samples: Sequence[Sample], limit: int | None, seed: int) -> list[Sample]:
    """All samples, or a seeded subset of ``limit`` of them in their original order."""
    if limit is None or limit >= len(samples):
        return list(samples)
    chosen = sorted(random.Random(seed).sample(range(len(samples)), limit))
    return [samples[index] for index in chosen]


REFUSAL_JUDGE = "regex_refusal"
"""The judge plugin the refusal suites bring by default (``defaults.judges = false`` turns it off)."""


def cluster(topic: str | None, source: str | None) -> str | None:
    """An item's cluster: its topic (harm category, BBQ category...), else its source file."""
    return topic or source or None


class SafetyTask(ABC):
    """A generation task over a fixed list of samples, built once from the options."""

    name: ClassVar[str]
    mode = "generate"
    default_metrics: tuple[str, ...] = ()
    default_judges: tuple[str, ...] = ()
    options_allowed: ClassVar[tuple[str, ...]] = ("path",)

    def __init__(self, options: Mapping[str, Any]) -> None:
        unknown = sorted(set(options) - set(self.options_allowed))
        if unknown:
            raise ConfigError(
                f"task {self.name!r}: unknown option {unknown[0]!r}; allowed: {', '.join(self.options_allowed)}"
            )
        self._samples = self.build(options)

    @abstractmethod
    def build(self, options: Mapping[str, Any]) -> list[Sample]:
        """The task's samples, in source order."""

    def samples(self, limit: int | None, seed: int) -> list[Sample]:
        return select(self._samples, limit, seed)

    def records(
        self, options: Mapping[str, Any], loader: Callable[[str | Path], list[T]], builtin: Sequence[T]
    ) -> list[T]:
        """The records of the files in ``options.path``, or the built-in set without one."""
        paths = options.get("path")
        if paths is None:
            return list(builtin)
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list) or not paths or not all(isinstance(path, str) for path in paths):
            raise ConfigError(f"task {self.name!r}: option 'path' must be a file path or a list of them")
        return loaders.load_all(paths, loader)


class RefusalTask(SafetyTask):
    """Harmful requests asked directly; a safe model refuses them."""

    name = "refusal"
    default_judges = (REFUSAL_JUDGE,)

    def build(self, options: Mapping[str, Any]) -> list[Sample]:
        return [
            _harmful_sample(request)
            for request in self.records(options, loaders.load_harmful_requests, HARMFUL_REQUESTS)
        ]


class JailbreakTask(SafetyTask):
    """The same harmful requests wrapped in jailbreak templates (every request with every template).

    ``templates`` picks built-in templates by name (default: all); ``custom_templates`` adds
    ``{name = "text with {request}"}``. A sample's id is its request's id plus the template name.
    """

    name = "jailbreak"
    default_judges = (REFUSAL_JUDGE,)
    options_allowed = ("path", "templates", "custom_templates")

    def build(self, options: Mapping[str, Any]) -> list[Sample]:
        templates = self._templates(options)
        requests = self.records(options, loaders.load_harmful_requests, HARMFUL_REQUESTS)
        samples = []
        for request in requests:
            plain = _harmful_sample(request)
            for template_name, template in templates.items():
                samples.append(
                    Sample(
                        id=f"{plain.id}-{template_name}",
                        prompt=apply_template(template, request.text),
                        group=plain.group,
                        metadata=dict(plain.metadata) | {"template": template_name, "request_id": plain.id},
                    )
                )
        return samples

    def _templates(self, options: Mapping[str, Any]) -> dict[str, str]:
        names = options.get("templates", list(JAILBREAK_TEMPLATES))
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise ConfigError(f"task {self.name!r}: option 'templates' must be a list of template names")
        unknown = [name for name in names if name not in JAILBREAK_TEMPLATES]
        if unknown:
            raise ConfigError(
                f"task {self.name!r}: unknown template {unknown[0]!r}; built-in: {', '.join(JAILBREAK_TEMPLATES)}"
            )
        custom = options.get("custom_templates", {})
        if not isinstance(custom, Mapping) or not all(isinstance(text, str) for text in custom.values()):
            raise ConfigError(f"task {self.name!r}: option 'custom_templates' must be a table of name = text")
        for name, text in custom.items():
            if REQUEST_SLOT not in text:
                raise ConfigError(f"task {self.name!r}: custom template {name!r} has no {REQUEST_SLOT} slot")
        templates = {name: JAILBREAK_TEMPLATES[name] for name in names} | dict(custom)
        if not templates:
            raise ConfigError(f"task {self.name!r}: no templates selected")
        return templates


class OverRefusalTask(SafetyTask):
    """Benign prompts that look risky; refusing them is over-refusal."""

    name = "over_refusal"
    default_judges = (REFUSAL_JUDGE,)

    def build(self, options: Mapping[str, Any]) -> list[Sample]:
        return [
            Sample(
                id=stable_id("benign", prompt.text),
                prompt=prompt.text,
                group=cluster(prompt.topic, prompt.source),
                metadata={"category": "benign", "topic": prompt.topic, "source": prompt.source},
            )
            for prompt in self.records(options, loaders.load_benign_prompts, BENIGN_PROMPTS)
        ]


class TruthfulnessTask(SafetyTask):
    """Questions that invite misconceptions, with their true and false answers.

    The true and false answers reach metrics as :mod:`qframe.data.references` describes, and the
    reference-based truthfulness metrics (BLEU, ROUGE-L and embedding similarity to the closest
    true answer against the closest false one) score the suite by default, with no judge model.
    """

    name = "truthfulness"
    default_metrics = tuple(
        name for similarity in ("bleu", "rouge_l", "embedding") for name in contrast_names(similarity)
    )

    def build(self, options: Mapping[str, Any]) -> list[Sample]:
        return [
            Sample(
                id=stable_id("truth", question.question),
                prompt=question.question,
                reference=question.best_answer,
                group=cluster(question.topic, question.source),
                metadata={
                    "category": "truthfulness",
                    TRUE_ANSWERS: list(question.correct_answers),
                    FALSE_ANSWERS: list(question.incorrect_answers),
                    "topic": question.topic,
                    "source": question.source,
                },
            )
            for question in self.records(options, loaders.load_truthful_questions, TRUTHFUL_QUESTIONS)
        ]


class BiasTask(SafetyTask):
    """BBQ-style multiple choice in ambiguous and disambiguated contexts (answer with a letter)."""

    name = "bias"
    default_metrics = ("bbq_accuracy_ambig", "bbq_accuracy_disambig", "bbq_biased_ambig", "bbq_biased_disambig")

    def build(self, options: Mapping[str, Any]) -> list[Sample]:
        return [
            _bias_sample(question) for question in self.records(options, loaders.load_bias_questions, BIAS_QUESTIONS)
        ]


def _harmful_sample(request: HarmfulRequest) -> Sample:
    """The plain request; its id is also its ``request_id``, the unit it shares with its jailbreaks."""
    sample_id = stable_id("harm", request.text)
    return Sample(
        id=sample_id,
        prompt=request.text,
        group=cluster(request.topic, request.source),
        metadata={"category": "harmful", "topic": request.topic, "target": request.target, "source": request.source,
                  "request_id": sample_id},
    )


def _bias_sample(question: BiasQuestion) -> Sample:
    options = "\n".join(f"{label}. {answer}" for label, answer in zip(CHOICE_LABELS, question.answers, strict=True))
    prompt = f"{question.context}\n{question.question}\n{options}\nAnswer with the letter of the correct option."

    def letter(index: int | None) -> str | None:
        return None if index is None else CHOICE_LABELS[index]

    return Sample(
        id=f"bias-{question.key}",
        prompt=prompt,
        reference=question.answers[question.label],
        group=cluster(question.topic, question.source),
        choices=question.answers,
        choice_labels=CHOICE_LABELS,
        answer=CHOICE_LABELS[question.label],
        metadata={
            "category": "bias",
            "context_condition": question.context_condition,
            "polarity": question.polarity,
            "unknown_answer": letter(question.unknown),
            "biased_answer": letter(question.biased),
            "topic": question.topic,
            "source": question.source,
        },
    )


TASKS: tuple[type[SafetyTask], ...] = (RefusalTask, JailbreakTask, OverRefusalTask, TruthfulnessTask, BiasTask)


def make_task(name: str, options: Mapping[str, Any]) -> SafetyTask:
    """The task registered under ``name``, built from its options."""
    return next(task for task in TASKS if task.name == name)(options)
