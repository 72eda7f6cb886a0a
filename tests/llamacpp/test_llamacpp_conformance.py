"""The llama.cpp backend passes the backend conformance suite on the tiny test model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from qframe.testing import BackendConformance


class TestLlamaCppBackend(BackendConformance):
    backend = "llamacpp"
    options: ClassVar = {"n_ctx": 512, "n_threads": 1}

    @pytest.fixture
    def conformance_models(self, tiny_model: Path, tiny_variant: Callable[[str], Path]) -> tuple[str, str]:
        return str(tiny_model), str(tiny_variant("Q8_0"))
