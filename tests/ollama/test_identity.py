"""Reading a tag's identity from /api/tags and /api/show replies."""

from __future__ import annotations

from qframe_ollama.identity import find_tag, full_tag, model_info, parse_parameters

# The parameters block of the API documentation's /api/show example.
DOCUMENTED_PARAMETERS = (
    'num_keep                       24\n'
    'stop                           "<|start_header_id|>"\n'
    'stop                           "<|end_header_id|>"\n'
    'stop                           "<|eot_id|>"'
)


def test_parameters_parse_into_typed_values_with_stops_as_a_list():
    assert parse_parameters(DOCUMENTED_PARAMETERS) == {
        "num_keep": 24,
        "stop": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
    }
    assert parse_parameters('temperature 0.7\nstop "x"') == {"temperature": 0.7, "stop": ["x"]}
    assert parse_parameters(None) == {}


def test_tags_default_to_latest():
    listed = [{"name": "llama3:latest", "model": "llama3:latest"}, {"model": "codellama:13b"}]
    assert full_tag("llama3") == "llama3:latest"
    assert full_tag("ns/model") == "ns/model:latest"
    assert find_tag("llama3", listed) is listed[0]
    assert find_tag("codellama:13b", listed) is listed[1]
    assert find_tag("codellama", listed) is None


def test_model_info_records_digest_weights_template_and_shape():
    listed = {"digest": "9f43" * 16, "size": 4_000_000_000, "details": {"quantization_level": "Q4_0", "family": "llama"}}
    shown = {
        "modelfile": "# generated\nFROM /root/.ollama/models/blobs/sha256-" + "ab" * 32 + "\nTEMPLATE x",
        "template": "{{ .Prompt }}",
        "details": {"quantization_level": "Q4_0", "family": "llama", "parameter_size": "8.0B"},
        "modelinfo": {
            "general.architecture": "llama",
            "general.parameter_count": 8_000_000_000,
            "llama.block_count": 32,
            "llama.embedding_length": 4096,
            "llama.attention.head_count": 32,
            "llama.attention.head_count_kv": 8,
            "llama.context_length": 8192,
        },
        "capabilities": ["completion"],
    }
    info = model_info("llama3:8b", "", listed, shown, "0.12.11", {"num_keep": 24})
    assert info.digest == "9f43" * 16
    assert info.quant == "Q4_0"
    assert info.engine == "ollama 0.12.11"
    assert info.bits_per_weight == 4.0
    assert info.details["weights_sha256"] == "ab" * 32
    assert info.details["template"] == "{{ .Prompt }}"
    assert (info.details["n_layer"], info.details["n_embd"], info.details["n_head"], info.details["n_head_kv"]) == (32, 4096, 32, 8)
    assert info.details["context_length"] == 8192
    assert model_info("llama3:8b", "q4_0", listed, shown, None, {}).quant == "q4_0"
