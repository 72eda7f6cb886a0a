"""The plugin author kit's backend conformance suite, run on the ollama backend and its test server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from qframe.testing import BackendConformance


class TestOllamaBackend(BackendConformance):
    backend = "ollama"
    model = "tiny:q8_0"
    other_model = "tiny:q4_K_M"
    supports_loglikelihood = False  # Ollama cannot score a given text
    exact_top_k = False  # tokens that render the same text merge into one entry
    transient_options: Mapping[str, Any] = {"host": "http://127.0.0.1:9"}  # nothing listens there

    @pytest.fixture
    def conformance_options(self, server) -> Mapping[str, Any]:
        return {"host": server.url}
