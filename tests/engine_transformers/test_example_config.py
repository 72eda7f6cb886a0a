"""The mixed-ladder example config parses, resolves to one family with one baseline, and names
only installed plugins."""

from __future__ import annotations

import tomllib
from pathlib import Path

from qframe.config import check_references, structure_experiment

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "awq-gptq-vs-gguf.toml"


def test_example_is_one_family_with_one_baseline_and_an_equivalence_pair(host):
    experiment = structure_experiment(tomllib.loads(EXAMPLE.read_text()))
    check_references(experiment, host)
    variants = experiment.resolved_variants()
    assert {v.family for v in variants} == {""} and [v.id for v in variants if v.baseline] == ["F16"]
    assert {v.backend for v in variants} == {"llamacpp", "transformers"}
    assert experiment.analysis.equivalence == ["F16", "F16-transformers"]
