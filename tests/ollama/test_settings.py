"""Variant options of backend ``ollama`` and the ladder shorthand with Ollama tags."""

from __future__ import annotations

import pytest

from qframe.config import structure_experiment
from qframe.plugin_api.errors import ConfigError
from qframe_ollama.settings import DEFAULT_HOST, normalise_host, parse_settings


def test_defaults_send_every_sampling_option():
    settings = parse_settings({}, {})
    assert settings.host == DEFAULT_HOST
    assert (settings.num_ctx, settings.top_k, settings.top_p) == (2048, 40, 0.9)
    assert settings.unload and settings.stream


def test_host_comes_from_ollama_host_unless_given():
    assert parse_settings({}, {"OLLAMA_HOST": "10.0.0.5"}).host == "http://10.0.0.5:11434"
    assert parse_settings({"host": "http://h:1"}, {"OLLAMA_HOST": "other"}).host == "http://h:1"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("localhost", "http://localhost:11434"),
        ("https://ollama.example/", "https://ollama.example:443"),
        ("http://[::1]:7", "http://[::1]:7"),
    ],
)
def test_host_forms(given, expected):
    assert normalise_host(given) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"num_ctxx": 4}, "unknown num_ctxx"),
        ({"num_ctx": "4096"}, "options.num_ctx: expected int"),
        ({"stream": 1}, "options.stream: expected bool"),
        ({"num_ctx": True}, "options.num_ctx: expected int"),
        ({"top_p": 1.5}, "options.top_p: must be in (0, 1]"),
        ({"num_ctx": 0}, "options.num_ctx: must be > 0"),
        ({"host": "ftp://x"}, "options.host: expected http(s)"),
    ],
)
def test_bad_options_are_one_line_config_errors(options, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")) as caught:
        parse_settings(options, {})
    assert "\n" not in str(caught.value)


def test_ladder_of_lowercase_tags_picks_fp16_as_baseline():
    experiment = structure_experiment(
        {
            "experiment": {"name": "tags"},
            "ladder": {"backend": "ollama", "model": "llama3.2:1b-instruct-{quant}", "quants": ["q4_K_M", "q8_0", "fp16"]},
            "tasks": [{"name": "mock"}],
        }
    )
    variants = {variant.id: variant for variant in experiment.resolved_variants()}
    assert variants["fp16"].model == "llama3.2:1b-instruct-fp16"
    assert [v.id for v in variants.values() if v.baseline] == ["fp16"]


@pytest.mark.parametrize(
    ("version", "supported"),
    [("0.12.10", False), ("0.9.6", False), ("0.12.11", True), ("0.13.0-rc1", True), ("1.0", True), ("0.0.0", True), (None, True)],
)
def test_logprobs_capability_follows_the_server_version(version, supported):
    from qframe_ollama.backend import logprobs_supported

    assert logprobs_supported(version) is supported
