"""The pytest plugin of :mod:`qframe.testing` (loaded through the ``pytest11`` entry point)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qframe.plugin_api.plugins import PluginHost, get_host, reset_host


@pytest.fixture
def qframe_host() -> Iterator[PluginHost]:
    """The installed plugins, loaded afresh for the test (and forgotten after it)."""
    reset_host()
    yield get_host()
    reset_host()
