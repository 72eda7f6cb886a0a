"""The openai backend passes the plugin author kit's backend conformance suite against a real
llama.cpp server (``llama_cpp.server``) serving the tiny model in Q8_0 and Q4_0 under two names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from qframe.testing import BackendConformance
from tests.openai.llama_server import LlamaServer


@pytest.fixture(scope="module")
def two_model_server(tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    log = tmp_path_factory.mktemp("server-logs") / "conformance.log"
    with LlamaServer(
        tiny_models["Q8_0"], "tiny-q8_0", log=log, also_serve={"tiny-q4_0": tiny_models["Q4_0"]}
    ) as server:
        yield server


class TestOpenAIBackend(BackendConformance):
    backend = "openai"
    model = "tiny-q8_0"
    other_model = "tiny-q4_0"
    exact_top_k = False  # the server keys alternatives by their text: tokens that render alike merge
    transient_options: Mapping[str, Any] = {"base_url": "http://127.0.0.1:9"}  # nothing listens there

    @pytest.fixture
    def conformance_options(self, two_model_server: LlamaServer) -> Mapping[str, Any]:
        return {"base_url": two_model_server.url, "extra_body": {"repeat_penalty": 1.0}}
