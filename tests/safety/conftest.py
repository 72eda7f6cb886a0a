"""Fixtures of the safety tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def mock_backends(host):
    """The registered backends (``mock`` among them) as a judge's backend provider."""
    return lambda spec: host.get("backends", spec.backend).factory(spec)
