"""Calibration text for ``qframe quantize``: a frozen, recorded specification.

The built-in set (``builtin``) is a fixed list of short paragraphs of everyday, technical and
question-answer prose written for this purpose, so a quantization needs no download. A file
source is a UTF-8 text file (one sample per non-empty line) or a JSON Lines file with a ``text``
field; its SHA-256 is recorded. Samples are drawn with a seeded shuffle and cut to a token
length; the spec written beside the checkpoint names the source, its digest, the count, the
length, the seed and the digest of the token ids actually used, so the same spec reproduces the
same calibration.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from qframe.plugin_api.errors import BadInputError

BUILTIN_NAME = "builtin"
BUILTIN_TEXTS: tuple[str, ...] = (
    "The river rose after three days of rain, and the village moved its boats to higher ground.",
    "To bake bread, mix flour, water, salt and yeast, let the dough rise, shape it and bake it hot.",
    "Question: Which planet is closest to the Sun? Answer: Mercury is the closest planet to the Sun.",
    "A hash table stores keys and values; a good hash function spreads the keys evenly over the buckets.",
    "The committee met on Tuesday to discuss the budget, and agreed to postpone the vote until March.",
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen inside the leaves.",
    "def mean(values):\n    return sum(values) / len(values) if values else 0.0",
    "She opened the letter slowly, read it twice, and then laughed for the first time in weeks.",
    "Quantization maps each weight to one of a few levels, trading a little accuracy for memory and speed.",
    "The train to the coast leaves at nine; buy a return ticket at the counter or from the machine.",
    "Question: What is the boiling point of water at sea level? Answer: 100 degrees Celsius.",
    "In 1969 two astronauts walked on the Moon while a third orbited above them in the command module.",
    "A balanced diet includes vegetables, fruit, whole grains, protein and enough water each day.",
    "SELECT name, count(*) FROM orders GROUP BY name HAVING count(*) > 3 ORDER BY name;",
    "The museum's new wing shows paintings from the eighteenth century and a collection of old maps.",
    "If a triangle has sides of three and four units around a right angle, its third side is five.",
    "Please summarize the meeting notes in three sentences and list the open action items.",
    "The patient reported a mild headache, no fever, and said the symptoms began two days ago.",
    "Electric cars convert stored chemical energy into motion with fewer moving parts than engines.",
    "Translate into French: The weather is nice today. Answer: Il fait beau aujourd'hui.",
    "The library extends its opening hours during exams, and the reading rooms stay quiet until midnight.",
    "Mountains form where tectonic plates collide and push the crust upward over millions of years.",
    "User: How do I reset my password? Assistant: Open the settings page and choose 'Forgot password'.",
    "Interest compounds when each period's interest is added to the principal before the next period.",
    "The orchestra tuned their instruments, the lights dimmed, and the conductor raised the baton.",
    "A virus needs a host cell to reproduce, while bacteria are living cells that divide on their own.",
    "for i in range(10):\n    if i % 2 == 0:\n        print(i, 'is even')",
    "The recipe serves four people and takes about forty minutes, including the time to chop vegetables.",
    "Question: Who wrote the play Romeo and Juliet? Answer: William Shakespeare.",
    "Good documentation explains why a design was chosen, not only how to call each function.",
    "Wind turbines slow down in gusts above their rated speed to protect the blades and the gearbox.",
    "The detective noticed the muddy boots by the door and asked where the gardener had been all night.",
)


@attrs.frozen
class CalibrationSpec:
    """Where calibration texts come from and how many tokens of how many texts are used."""

    source: str = BUILTIN_NAME
    samples: int = 32
    sequence_length: int = 256
    seed: int = 0

    def texts(self) -> tuple[list[str], str]:
        """The drawn texts and the SHA-256 of the source they came from."""
        pool = _read_source(self.source)
        if not pool:
            raise BadInputError(f"calibration source {self.source!r} holds no text")
        digest = hashlib.sha256("\n".join(pool).encode()).hexdigest()
        shuffled = list(pool)
        random.Random(self.seed).shuffle(shuffled)
        # A source smaller than the count gives all it has (recorded as samples_used).
        return shuffled[: self.samples], digest

    def tokenize(self, tokenizer: Any) -> tuple[list[list[int]], dict[str, Any]]:
        """Token ids of each sample (cut to ``sequence_length``) and the record of the spec."""
        texts, source_digest = self.texts()
        ids = [list(tokenizer(text, add_special_tokens=True)["input_ids"])[: self.sequence_length] for text in texts]
        record = attrs.asdict(self) | {
            "source_sha256": source_digest,
            "samples_used": len(ids),
            "tokens": sum(len(row) for row in ids),
            "token_ids_sha256": hashlib.sha256(json.dumps(ids).encode()).hexdigest(),
        }
        return ids, record


def _read_source(source: str) -> Sequence[str]:
    if source == BUILTIN_NAME:
        return BUILTIN_TEXTS
    path = Path(source).expanduser()
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"calibration file {path}: unreadable ({exc})") from None
    if path.suffix != ".jsonl":
        return lines
    texts = []
    for number, line in enumerate(lines, 1):
        try:
            texts.append(str(json.loads(line)["text"]))
        except (ValueError, KeyError, TypeError):
            raise BadInputError(
                f"calibration file {path}: line {number} is not a JSON object with a 'text' field"
            ) from None
    return texts
