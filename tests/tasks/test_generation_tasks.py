"""The project's generation suites: sizes, references, metric groups, extraction gold."""

from __future__ import annotations

import ast
import json
from collections import Counter

import pytest

from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import ScoringItem
from qframe_tasks_generation.suites import ENTITY_TYPES, SUITES
from qframe_tasks_generation.task import GenerationTask, read_items

BY_NAME = {suite.name: suite for suite in SUITES}

SEED_METRIC_GROUPS = {
    "summarization": {"rouge_l", "bertscore", "coherence", "output_length"},
    "qa": {"rouge_l", "bertscore", "coherence", "output_length"},
    "code": {"bleu", "coherence", "rouge_l", "output_length"},
    "creative": {"coherence", "output_length", "repetition"},
    "classification": {"exact_match", "coherence", "output_length"},
    "extraction": {"entity_f1", "entity_tp", "entity_fp", "entity_fn", "json_parsed", "entity_free_correct"},
}


def task(name: str, **options) -> GenerationTask:
    return GenerationTask(BY_NAME[name], options)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_suite_has_fifty_items_with_references(name):
    samples = task(name).samples(None, seed=42)
    assert len(samples) == 50
    assert [sample.id for sample in samples] == [f"{name}-{index:03d}" for index in range(1, 51)]
    assert all(sample.reference and sample.reference.strip() for sample in samples)
    inputs = [item["input"] for item in read_items(name)]
    assert len(set(inputs)) == 50
    assert all(item_input in sample.prompt for item_input, sample in zip(inputs, samples, strict=True))


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_default_metrics_are_the_task_types_metric_group(name, host):
    generation = task(name)
    assert generation.mode == "generate"
    assert set(generation.default_metrics) == SEED_METRIC_GROUPS[name]
    assert all(host.has("metrics", metric) for metric in generation.default_metrics)


def test_limit_draws_a_seeded_subset_in_id_order():
    qa = task("qa")
    drawn = qa.samples(5, seed=42)
    assert len(drawn) == 5
    assert drawn == qa.samples(5, seed=42)
    assert [sample.id for sample in drawn] == sorted(sample.id for sample in drawn)
    assert drawn != qa.samples(5, seed=43)
    assert len(qa.samples(80, seed=42)) == 50


def test_extraction_has_a_realistic_share_of_entity_free_sentences():
    samples = task("extraction").samples(None, seed=0)
    empty = [sample for sample in samples if not sample.metadata["entities"]]
    assert 0.20 <= len(empty) / len(samples) <= 0.30


def test_extraction_gold_is_well_formed_and_in_the_sentence():
    for item, sample in zip(read_items("extraction"), task("extraction").samples(None, seed=0), strict=True):
        assert sample.metadata["entities"] == item["entities"]
        assert json.loads(sample.reference) == item["entities"]
        for entity in item["entities"]:
            assert set(entity) == {"entity", "type"}
            assert entity["type"] in ENTITY_TYPES
            assert entity["entity"] in item["input"]


def test_a_perfect_extraction_answer_scores_full_marks(host):
    samples = task("extraction").samples(None, seed=0)
    items = [ScoringItem("v", "extraction", s, 0, {"text": s.reference}) for s in samples]
    f1 = host.get("metrics", "entity_f1").factory({}).score(items)
    assert f1 == [1.0] * 50
    free = host.get("metrics", "entity_free_correct").factory({}).score(items)
    assert [value for value in free if value is not None] == [1.0] * 14


def test_classification_labels_are_balanced():
    labels = Counter(sample.reference for sample in task("classification").samples(None, seed=0))
    assert set(labels) == {"positive", "negative", "neutral"}
    assert min(labels.values()) >= 15


def test_code_references_define_the_function_they_are_asked_for():
    for item in read_items("code"):
        tree = ast.parse(item["reference"])
        [function] = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert f"`{function.name}(" in item["input"]


def test_custom_template_and_its_checks():
    sample = task("qa", template="Q: {input}\nA:").samples(1, seed=0)[0]
    assert sample.prompt.startswith("Q: ") and sample.prompt.endswith("\nA:")
    with pytest.raises(ConfigError, match="must contain \\{input\\}"):
        task("qa", template="no placeholder")
    with pytest.raises(ConfigError, match="cannot format"):
        task("qa", template="{input} {other}")
    with pytest.raises(ConfigError, match="options.limit: unknown option"):
        task("qa", limit=3)


def test_suites_are_registered_through_the_host(host):
    for name in BY_NAME:
        assert host.get("tasks", name).factory({}).samples(2, seed=1)[0].id.startswith(f"{name}-")


def test_extraction_runs_end_to_end_on_the_mock_backend(host, run_experiment):
    config = {
        "experiment": {"name": "gen", "max_tokens": 16},
        "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": ["F16", "Q4_K_M"], "baseline": "F16"},
        "tasks": [{"name": "extraction", "limit": 4}],
    }
    session, _ = run_experiment(host, config)
    scores = session.store.read("scores").to_pylist()
    assert {row["metric"] for row in scores} == SEED_METRIC_GROUPS["extraction"]
    assert {row["value"] for row in scores if row["metric"] == "json_parsed"} == {0.0}  # the mock writes no JSON
