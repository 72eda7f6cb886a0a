"""The transformers backend passes the plugin author kit's backend conformance suite on two tiny
random HF llamas (same shape, different seeds, so different weights)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from qframe.testing import BackendConformance


class TestTransformersBackend(BackendConformance):
    backend = "transformers"
    options: ClassVar = {"n_threads": 1}

    @pytest.fixture
    def conformance_models(self, tiny_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
        from qframe_transformers.tiny_model import write_tiny_llama

        other = write_tiny_llama(tmp_path_factory.mktemp("tiny-hf-other") / "model", seed=1)
        return str(tiny_hf), str(other)
