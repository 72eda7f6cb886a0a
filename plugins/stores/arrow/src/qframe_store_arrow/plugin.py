"""Registers the ``arrow`` store. pyarrow is imported only when a run is opened."""

from __future__ import annotations

from pathlib import Path

from qframe.plugin_api.hookspecs import hookimpl


def _open_store(path: Path):
    from qframe_store_arrow.store import ArrowRunStore

    return ArrowRunStore(path)


@hookimpl
def qframe_register_stores(register) -> None:
    register("arrow", _open_store, "manifest.json plus Parquet parts per table under runs/<run_id>/")
