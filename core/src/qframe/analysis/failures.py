"""Which variants have items that failed, and why.

A variant whose engine crashed, or whose server kept failing, has items stored with an error and
no outcome; its cells then rest on fewer items than the others' (or none). Reports list these
first, one row per variant and cause, with how to run the items again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from qframe.analysis.data import RunData


def failed_items(data: RunData) -> list[dict[str, Any]]:
    """Per variant and distinct error: how many of the variant's stored items failed with it.

    ``items`` counts the variant's stored item rows; ``failed`` those with this error. Sorted
    by variant order in the manifest, then by count (largest first).
    """
    table = []
    for variant in data.variants:
        rows = data.rows_by_variant.get(variant, [])
        causes = Counter(row["error"] for row in rows if row.get("error") is not None)
        for error, count in sorted(causes.items(), key=lambda entry: (-entry[1], entry[0])):
            table.append({"variant": variant, "error": error, "failed": count, "items": len(rows)})
    return table
