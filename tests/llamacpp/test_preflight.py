"""Preflight of GGUF variants: a bad model file fails before a run directory exists."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

LLAMA_CONFIG = """
[experiment]
name = "gguf"
max_tokens = 4

[[variants]]
id = "base"
backend = "llamacpp"
model = "{model}"
baseline = true

[[tasks]]
name = "qa"
limit = 1
"""


@pytest.fixture
def gguf_config(write_config, tiny_model):
    def write(model: Path) -> Path:
        return write_config(textwrap.dedent(LLAMA_CONFIG.format(model=model)))

    return write


@pytest.mark.parametrize("command", ["validate", "run"])
def test_truncated_or_missing_gguf_fails_before_a_run_directory_exists(cli, gguf_config, tiny_model, tmp_path, command):
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(tiny_model.read_bytes()[: tiny_model.stat().st_size // 2])
    runs = tmp_path / "runs"
    for model, problem in ((truncated, "truncated GGUF file"), (tmp_path / "absent.gguf", "model file not found")):
        args = [command, str(gguf_config(model))] + (["--out", str(runs), "--no-progress"] if command == "run" else [])
        code, _, err = cli(*args)
        assert code == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and problem in lines[0] and str(model) in lines[0]
    assert not runs.exists() or list(runs.iterdir()) == []


def test_complete_gguf_passes_validate(cli, gguf_config, tiny_model):
    code, out, err = cli("validate", str(gguf_config(tiny_model)))
    assert code == 0, err
    assert out.startswith("ok: 1 variants")
