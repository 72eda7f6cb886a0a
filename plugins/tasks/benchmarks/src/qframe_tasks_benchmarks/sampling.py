"""Deterministic subsets of a benchmark: plain, or stratified by subject.

Both start from the items sorted by id, so the result depends only on the items, the size and
the seed, never on the order of rows in the export. A stratum's generator is seeded with the
string ``"<seed>:<stratum>"``, which Python turns into the same state in every process.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import chain, zip_longest
from typing import TypeVar

T = TypeVar("T")
_GAP = object()


def seeded_subset(items: Sequence[T], size: int, seed: int, key: Callable[[T], str]) -> list[T]:
    """``size`` items drawn without replacement (all of them when there are fewer), in id order."""
    ordered = sorted(items, key=key)
    if size >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, size), key=key)


def stratified(
    items: Sequence[T], per_stratum: int, seed: int, key: Callable[[T], str], stratum: Callable[[T], str]
) -> list[T]:
    """Up to ``per_stratum`` items of every stratum, interleaved stratum by stratum.

    Each stratum's items are drawn with their own generator, so adding or removing one subject
    leaves the others' draws unchanged. The result takes the first draw of every stratum (in
    stratum order), then the second of every stratum, and so on: any prefix of it, such as the
    first ``limit`` items, is as balanced across strata as its length allows.
    """
    groups: dict[str, list[T]] = defaultdict(list)
    for item in items:
        groups[stratum(item)].append(item)
    draws = [
        random.Random(f"{seed}:{name}").sample(sorted(groups[name], key=key), min(per_stratum, len(groups[name])))
        for name in sorted(groups)
    ]
    return [item for item in chain.from_iterable(zip_longest(*draws, fillvalue=_GAP)) if item is not _GAP]
