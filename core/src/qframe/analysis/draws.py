"""The order in which a run that stops when decided draws its units, and each unit's place in it.

A *draw unit* is what enters a confidence sequence once: an item (task, sample id), or a request
with every item that asks it (``request_id``: a harmful request plain and in each jailbreak
template), so templates never count as separate evidence and a block never splits a request.
Units are ordered within their *stratum* (task and cluster: MMLU subject, harm category) by a
seeded hash, and strata are interleaved in proportion to their size: the ``j``-th of ``n`` units
of a stratum sits at ``(j + 1/2) / n``. Every prefix of the order therefore holds each task and
cluster in its share of the pool, and the order depends on the seed and the item ids alone,
never on any outcome (what anytime-valid intervals need).

The analysis recomputes a unit's place from the stored rows and the strata sizes kept in the
manifest: the units of a stratum drawn so far are the first ones of that stratum in hash order.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

DrawUnit = tuple[str, str]
"""(task, sample id), or (:data:`REQUEST`, request id)."""

REQUEST = "request"


def draw_unit(task: str, sample_id: str, request_id: str | None) -> DrawUnit:
    return (REQUEST, request_id) if request_id else (task, sample_id)


def stratum_of(unit: DrawUnit, group: str | None) -> str:
    """The stratum key of a unit: its task (or ``request``) and its cluster, as one string."""
    return f"{unit[0]}\x1f{group or ''}"


def unit_rank(seed: int, unit: DrawUnit) -> int:
    digest = hashlib.sha256(f"{seed}\x1f{unit[0]}\x1f{unit[1]}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def draw_positions(
    units: Mapping[DrawUnit, str], seed: int, strata_sizes: Mapping[str, int] | None = None
) -> dict[DrawUnit, tuple[float, int]]:
    """Each unit's sort key in the draw order; ``units`` maps unit -> stratum.

    ``strata_sizes`` are the pool's (the run's full item set); without them ``units`` is the
    pool. A stratum unknown to ``strata_sizes`` counts only the units given.
    """
    members: dict[str, list[DrawUnit]] = defaultdict(list)
    for unit, stratum in units.items():
        members[stratum].append(unit)
    positions = {}
    for stratum, stratum_units in members.items():
        size = max((strata_sizes or {}).get(stratum, 0), len(stratum_units))
        ranked = sorted(stratum_units, key=lambda u: unit_rank(seed, u))
        for index, unit in enumerate(ranked):
            positions[unit] = ((index + 0.5) / size, unit_rank(seed, unit))
    return positions


def draw_order(units: Mapping[DrawUnit, str], seed: int) -> list[DrawUnit]:
    """The pool's units in draw order."""
    positions = draw_positions(units, seed)
    return sorted(positions, key=positions.__getitem__)


def strata_sizes(units: Mapping[DrawUnit, str]) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for stratum in units.values():
        sizes[stratum] += 1
    return dict(sizes)


def units_of_rows(rows: Iterable[Mapping[str, Any]]) -> dict[DrawUnit, str]:
    """Draw unit -> stratum of stored generation rows (``task``, ``sample_id``, ``request_id``, ``group``)."""
    units: dict[DrawUnit, str] = {}
    for row in rows:
        unit = draw_unit(row["task"], row["sample_id"], row.get("request_id"))
        units.setdefault(unit, stratum_of(unit, row.get("group")))
    return units
