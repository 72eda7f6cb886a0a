"""Registers the extraction metrics."""

from __future__ import annotations

from qframe.hookspecs import hookimpl


@hookimpl
def qframe_register_metrics(register) -> None:
    from qframe_metrics_extraction.metrics import READERS, factory_for

    for name in READERS:
        register(name, factory_for(name), f"structured extraction: {name.replace('_', ' ')}")
