"""Registers the extraction metrics."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy

METRICS = ("entity_f1", "entity_tp", "entity_fp", "entity_fn", "json_parsed", "entity_free_correct")
"""The metric names; each reads one figure of :func:`qframe_metrics_extraction.entity_f1.score_sentence`."""


@hookimpl
def qframe_register_metrics(register) -> None:
    for name in METRICS:
        register(name, lazy("qframe_metrics_extraction.metrics:make_metric", name), f"structured extraction: {name.replace('_', ' ')}")
