"""Variants that are the same model: found before anything runs, evaluated once.

Two variants are the same model when their backends report the same weights digest
(``Backend.weights_digest``: the weights alone, not the file's metadata) and they share backend,
options and family: on SmolLM2 every K-quant tensor of Q3_K_S and Q2_K falls back to the same
types, so the two files hold the same tensors. The later variant (never the baseline) becomes an
*alias*: it runs nothing, the analysis reads the original's rows under its name
(:func:`qframe.analysis.data.alias_rows`), and the reports say so. A backend without ``weights_digest`` never aliases.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qframe.config import VariantSection
from qframe.plugin_api.protocols import Backend

ALIAS_FACTS = ("digest", "size_bytes", "parameters", "bits_per_weight", "engine", "details")
"""What an alias's manifest entry takes from its original: the facts of the weights it shares."""


async def find_aliases(
    variants: Sequence[VariantSection], make_backend: Callable[[VariantSection], Backend]
) -> dict[str, str]:
    """Variant id -> the variant it is the same model as (baselines first, then config order)."""
    first_of: dict[tuple[str, str, str, str], str] = {}
    aliases: dict[str, str] = {}
    for variant in sorted(variants, key=lambda variant: not variant.baseline):
        digest_of = getattr(make_backend(variant), "weights_digest", None)
        if digest_of is None:
            continue
        key = (variant.backend, json.dumps(dict(variant.options), sort_keys=True, default=str), variant.family,
               await digest_of())
        if key in first_of and not variant.baseline:
            aliases[variant.id] = first_of[key]
        else:
            first_of.setdefault(key, variant.id)
    return aliases


def evaluated(variants: Sequence[VariantSection], aliases: Mapping[str, str]) -> list[VariantSection]:
    """The variants that run: every one but the aliases."""
    return [variant for variant in variants if variant.id not in aliases]


def record_aliases(manifest_variants: dict[str, dict[str, Any]], aliases: Mapping[str, str]) -> None:
    """Give each alias's manifest entry its original's weight facts and ``alias_of``."""
    for alias, original in aliases.items():
        facts = manifest_variants.get(original, {})
        manifest_variants.setdefault(alias, {}).update(
            {key: facts[key] for key in ALIAS_FACTS if key in facts} | {"alias_of": original}
        )
