"""Fixtures of the ``openai`` backend tests: tiny GGUF models served by real llama.cpp servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.openai.llama_server import LlamaServer


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny llama in Q8_0 and Q4_0, and a Q8_0 whose tokenizer adds no BOS token."""
    from qframe_llamacpp.quantize import quantize
    from qframe_llamacpp.tiny_model import write_tiny_llama

    folder = tmp_path_factory.mktemp("tiny-served")
    source = write_tiny_llama(folder / "tiny.gguf")
    no_bos = write_tiny_llama(folder / "tiny-nobos.gguf", add_bos=False)
    return {
        "Q8_0": quantize(source, folder / "tiny-Q8_0.gguf", "Q8_0"),
        "Q4_0": quantize(source, folder / "tiny-Q4_0.gguf", "Q4_0"),
        "nobos": quantize(no_bos, folder / "tiny-nobos-Q8_0.gguf", "Q8_0"),
    }


@pytest.fixture(scope="session")
def tiny_server(tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """The tiny Q8_0 model served as ``tiny-q8_0`` for the whole session."""
    log = tmp_path_factory.mktemp("server-logs") / "tiny-q8_0.log"
    with LlamaServer(tiny_models["Q8_0"], "tiny-q8_0", log=log) as server:
        yield server


def openai_variant(server_url: str, model: str, quant: str = "Q8_0", **options) -> dict:
    """A ``[[variants]]`` table for the ``openai`` backend (greedy, no repeat penalty)."""
    extra = {"repeat_penalty": 1.0} | options.pop("extra_body", {})
    return {
        "id": quant,
        "backend": "openai",
        "model": model,
        "quant": quant,
        "options": {"base_url": server_url, "extra_body": extra} | options,
    }
