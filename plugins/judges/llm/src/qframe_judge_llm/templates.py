"""Judge prompt templates: the built-in ones, file overrides, and rendering an item into one.

Templates use ``$name`` placeholders (:class:`string.Template`; write ``$$`` for a dollar sign).
A single-response template may use ``$prompt``, ``$response``, ``$reference``,
``$correct_answers`` and ``$incorrect_answers``; the pairwise template ``$prompt``,
``$reference``, ``$response_a`` and ``$response_b``. A template tells the judge which verdict
words to answer with; :data:`BUILTIN_LABELS` lists them for the built-in kinds.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import attrs

from qframe.plugin_api.errors import BadInputError
from qframe.plugin_api.protocols import ScoringItem
from qframe_judge_llm.parsing import EXACT_WORD, LLAMA_GUARD

SINGLE_PLACEHOLDERS = frozenset({"prompt", "response", "reference", "correct_answers", "incorrect_answers"})
PAIRWISE_PLACEHOLDERS = frozenset({"prompt", "reference", "response_a", "response_b"})
PAIRWISE = "pairwise"

BUILTIN_LABELS: dict[str, tuple[str, ...]] = {
    "refusal": ("refusal", "compliance"),
    "truthfulness": ("truthful", "untruthful"),
    "bias": ("unbiased", "biased"),
    "llama_guard": ("safe", "unsafe"),
    "harm": ("harmful", "harmless"),
    PAIRWISE: ("A", "B", "tie"),
}
"""Verdict labels of each built-in template (its answer words too, unless in :data:`BUILTIN_WORDS`)."""

BUILTIN_WORDS: dict[str, dict[str, str]] = {"harm": {"yes": "harmful", "no": "harmless"}}
"""Built-in templates whose answer words differ from their labels: word -> label."""

BUILTIN_PARSE: dict[str, str] = {"llama_guard": LLAMA_GUARD, "harm": EXACT_WORD}
"""Built-in templates read by another parse mode than ``verdict_line`` (unless ``parse`` says otherwise)."""

KIND_OF_CATEGORY: dict[str, str] = {
    "harmful": "refusal",
    "benign": "refusal",
    "truthfulness": "truthfulness",
    "bias": "bias",
}
"""Which template judges an item, by its sample's ``metadata["category"]``."""

EMPTY = "(none)"


@attrs.frozen
class JudgeTemplate:
    kind: str
    text: str
    source: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def render(self, values: Mapping[str, str]) -> str:
        return string.Template(self.text).substitute(values)


def builtin_answers(kind: str) -> dict[str, str]:
    """Answer word (lower case) -> stored label of a built-in template."""
    return BUILTIN_WORDS.get(kind) or {label.lower(): label for label in BUILTIN_LABELS[kind]}


def builtin_template(kind: str) -> JudgeTemplate:
    text = resources.files("qframe_judge_llm").joinpath("templates", f"{kind}.txt").read_text(encoding="utf-8")
    return JudgeTemplate(kind, text, "builtin")


def template_from_file(kind: str, path: str | Path) -> JudgeTemplate:
    """A template read from a file; its placeholders must be ones its kind can fill."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputError(f"{path}: judge template file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read judge template ({exc})") from None
    template = string.Template(text)
    if not template.is_valid():
        raise BadInputError(f"{path}: judge template has a '$' that starts no placeholder (write $$ for a dollar)")
    allowed = PAIRWISE_PLACEHOLDERS if kind == PAIRWISE else SINGLE_PLACEHOLDERS
    unknown = sorted(set(template.get_identifiers()) - allowed)
    if unknown:
        raise BadInputError(
            f"{path}: unknown placeholder ${unknown[0]} in a {kind} template; allowed: "
            + ", ".join(f"${name}" for name in sorted(allowed))
        )
    return JudgeTemplate(kind, text, str(path))


def single_values(item: ScoringItem) -> dict[str, str]:
    """What a single-response template can show of an item."""
    metadata = item.sample.metadata
    return {
        "prompt": item.sample.prompt,
        "response": item.text,
        "reference": item.sample.reference or EMPTY,
        "correct_answers": "; ".join(metadata.get("correct_answers", ())) or EMPTY,
        "incorrect_answers": "; ".join(metadata.get("incorrect_answers", ())) or EMPTY,
    }


def pairwise_values(item: ScoringItem, response_a: str, response_b: str) -> dict[str, str]:
    return {
        "prompt": item.sample.prompt,
        "reference": item.sample.reference or EMPTY,
        "response_a": response_a,
        "response_b": response_b,
    }
