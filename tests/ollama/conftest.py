"""Fixtures: a tiny llama ladder (F16, Q8_0, Q4_K_M GGUFs) served by the fake Ollama server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.ollama.fake_ollama import FakeOllama, Tag

QUANTS = {"fp16": "F16", "q8_0": "Q8_0", "q4_K_M": "Q4_K_M"}
"""Ollama tag suffix -> llama.cpp quant label of the file behind it."""


@pytest.fixture(scope="session")
def tiny_ladder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Tag]:
    """Tags ``tiny:fp16``, ``tiny:q8_0`` and ``tiny:q4_K_M``, each a real GGUF of the tiny model."""
    from qframe_llamacpp.quantize import quantize
    from qframe_llamacpp.tiny_model import write_tiny_llama

    folder = tmp_path_factory.mktemp("tiny-ollama")
    source = write_tiny_llama(folder / "tiny.gguf")
    return {
        f"tiny:{suffix}": Tag(f"tiny:{suffix}", quantize(source, folder / f"tiny-{label}.gguf", label), label)
        for suffix, label in QUANTS.items()
    }


@pytest.fixture
def make_server(tiny_ladder: dict[str, Tag]) -> Iterator[Callable[..., FakeOllama]]:
    """Start fake servers over the tiny ladder (keyword arguments go to FakeOllama); all stop after the test."""
    started: list[FakeOllama] = []

    def make(**kwargs) -> FakeOllama:
        server = FakeOllama(dict(tiny_ladder), **kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server) -> FakeOllama:
    return make_server()


