"""The (output, reference) pairs of a batch of items, and the per-item result built back from them.

An item without a reference (or with a blank one) is not scored: its value is None. An item with
a reference but a blank output scores 0.0 without reaching the model: it says nothing, so it
cannot mean what the reference means (bert-score defines the same for an empty output).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from qframe.plugin_api.protocols import ScoringItem

BLANK_OUTPUT_SCORE = 0.0


@attrs.frozen
class Pairs:
    """Outputs and references to embed, with the item positions they came from."""

    positions: tuple[int, ...]
    outputs: tuple[str, ...]
    references: tuple[str, ...]
    blank_outputs: tuple[int, ...]

    @classmethod
    def of(cls, items: Sequence[ScoringItem]) -> Pairs:
        referenced = [(position, item) for position, item in enumerate(items) if (item.sample.reference or "").strip()]
        chosen = [(position, item) for position, item in referenced if item.text.strip()]
        return cls(
            positions=tuple(position for position, _ in chosen),
            outputs=tuple(item.text for _, item in chosen),
            references=tuple(str(item.sample.reference) for _, item in chosen),
            blank_outputs=tuple(position for position, item in referenced if not item.text.strip()),
        )

    def spread(self, values: Sequence[float], count: int) -> list[float | None]:
        """One value per item: the pair's value, 0.0 for a blank output, None without a reference."""
        result: list[float | None] = [None] * count
        for position in self.blank_outputs:
            result[position] = BLANK_OUTPUT_SCORE
        for position, value in zip(self.positions, values, strict=True):
            result[position] = float(value)
        return result
