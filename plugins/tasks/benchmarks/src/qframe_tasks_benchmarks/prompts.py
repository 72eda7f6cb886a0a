"""Phrasing a choice item as a :class:`~qframe.plugin_api.protocols.Sample`, for both scoring modes.

Generation mode shows the question with lettered choices and asks for the letter; the answer is
read back by the raw and rescored accuracy metrics. Loglikelihood mode scores each choice *text*,
after a leading space, as the continuation of ``Question: ...\\nAnswer:`` (HellaSwag: of the
passage itself) and picks the most likely one. Choice texts rather than letters, because ranking
the letters " A"..." D" after a lettered list asks a model to bind each letter to its option,
which small models barely do, while the likelihood of the answer text itself carries what they
know (``docs/quality.md``: a 135M model averaged 0.29 with letters and 0.44 with texts over the
four built-in sets). Sums of log-probabilities favour short choices; the stored per-choice sums give
the length-normalised reading too (metric ``accuracy_norm_char``). An item's subject (MMLU) is its
``group``, the cluster of the cluster bootstrap.

Both kinds of field are filled in every sample, so an item is the same object, with the same id,
whichever mode the task runs in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import Sample
from qframe_tasks_benchmarks.formats import LETTERS, ChoiceItem

DEFAULT_TEMPLATE = "{question}\n\n{choices}\n\nAnswer with the letter of the correct choice ({labels}) only."
"""Generation prompt; ``{choices}`` is one ``A. text`` line per choice, ``{labels}`` reads ``A, B, C or D``."""

TEMPLATE_FIELDS = ("question", "choices", "labels")


def check_template(template: str) -> str:
    """``template`` if it formats with exactly the known fields, else a one-line ConfigError."""
    try:
        template.format(**dict.fromkeys(TEMPLATE_FIELDS, ""))
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"options.template: cannot format it ({type(exc).__name__}: {exc}); "
            f"allowed fields are {', '.join('{' + name + '}' for name in TEMPLATE_FIELDS)}"
        ) from exc
    return template


def item_id(task: str, item: ChoiceItem) -> str:
    """A stable id from the item's content, so it does not depend on row order or file layout."""
    content = "\x1f".join((item.question, *item.choices))
    return f"{task}-{hashlib.sha256(content.encode()).hexdigest()[:12]}"


def to_sample(task: str, item: ChoiceItem, template: str) -> Sample:
    """The sample for ``item``: generation prompt plus loglikelihood context and continuations."""
    labels = tuple(LETTERS[: len(item.choices)])
    metadata = {"subject": item.subject, "source_id": item.source_id}
    return Sample(
        id=item_id(task, item),
        prompt=generation_prompt(item, labels, template),
        choices=item.choices,
        choice_labels=labels,
        answer=labels[item.answer],
        context=item.context,
        continuations=tuple(f" {choice}" for choice in item.choices),
        group=item.subject,
        metadata={key: value for key, value in metadata.items() if value is not None},
    )


def generation_prompt(item: ChoiceItem, labels: Sequence[str], template: str) -> str:
    lines = "\n".join(f"{label}. {choice}" for label, choice in zip(labels, item.choices, strict=True))
    spoken = f"{', '.join(labels[:-1])} or {labels[-1]}"
    return template.format(question=item.question, choices=lines, labels=spoken)
