"""The ``llamacpp`` backend through qframe: model facts, generation, scoring, runs, the ladder command."""

from __future__ import annotations

import asyncio
import json

import pytest

pytest.importorskip("llama_cpp")

from qframe.plugin_api.errors import BadInputError  # noqa: E402
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest  # noqa: E402
from qframe_llamacpp.backend import LlamaCppBackend  # noqa: E402


def _request(**overrides) -> GenerationRequest:
    return GenerationRequest(**({"prompt": "hello world", "max_tokens": 6, "temperature": 0.0, "seed": 42} | overrides))


async def _session(path, *calls, top_logprobs: int = 0):
    backend = LlamaCppBackend(BackendSpec("llamacpp", str(path), "Q8_0", 42, {"n_threads": 1}, top_logprobs))
    info = await backend.open()
    try:
        return info, [await call(backend) for call in calls], backend
    finally:
        await backend.close()


def test_open_describes_the_weights_from_the_file(tiny_variant):
    path = tiny_variant("Q8_0")
    info, _, _ = asyncio.run(_session(path))
    from qframe_llamacpp.gguf_info import file_sha256

    assert info.digest == file_sha256(path)
    assert info.size_bytes == path.stat().st_size
    assert info.quant == "Q8_0" and 8.0 < info.bits_per_weight < 9.0
    assert info.details["tensor_types"]["Q8_0"] > 0
    assert info.details["n_layer"] == 2 and info.details["n_embd"] == 256
    assert "llama-cpp-python" in info.engine and info.details["llama_cpp_system_info"]


def test_generate_reports_native_timings_and_is_deterministic(tiny_model):
    _, (first, second), _ = asyncio.run(
        _session(tiny_model, lambda b: b.generate(_request()), lambda b: b.generate(_request()))
    )
    assert first.text == second.text
    assert first.prompt_tokens > 0 and first.completion_tokens > 0
    assert first.eval_ms > 0 and first.eval_tokens >= 1 and first.ttft_ms == first.prompt_eval_ms > 0
    assert first.applied["seed"] == 42 and first.applied["temperature"] == 0.0


def test_top_logprobs_are_returned_per_generated_token(tiny_model):
    _, (result,), backend = asyncio.run(
        _session(tiny_model, lambda b: b.generate(_request(top_logprobs=3)), top_logprobs=3)
    )
    assert backend.logits_all
    # byte tokens that render to the same text collapse into one entry, so at most 3 per position
    assert result.top_logprobs and all(1 <= len(position) <= 3 for position in result.top_logprobs)
    assert len(result.top_logprobs) == result.completion_tokens
    assert all(value <= 0 for position in result.top_logprobs for value in position.values())


def test_a_request_for_logprobs_reloads_a_model_loaded_without_them(tiny_model):
    _, (result,), _ = asyncio.run(_session(tiny_model, lambda b: b.generate(_request(top_logprobs=2))))
    assert result.top_logprobs and len(result.top_logprobs[0]) == 2


def test_loglikelihood_ranks_continuations(tiny_model):
    _, (scores,), _ = asyncio.run(_session(tiny_model, lambda b: b.loglikelihood("hello", [" world", " the", " a"])))
    assert len(scores) == 3 and all(score < 0 for score in scores)


def test_missing_or_non_gguf_model_is_a_one_line_error(tmp_path):
    with pytest.raises(BadInputError, match="model file not found"):
        asyncio.run(_session(tmp_path / "absent.gguf"))
    bogus = tmp_path / "model.gguf"
    bogus.write_text("not a model")
    with pytest.raises(BadInputError, match="not a GGUF file"):
        asyncio.run(_session(bogus))


def test_a_tiny_ladder_runs_end_to_end(tiny_model, tmp_path, host, run_experiment):
    from qframe_llamacpp.ladder import build_ladder

    entries = build_ladder(tiny_model, ["Q8_0", "Q4_K_M"], tmp_path / "ladder", log=lambda _: None)
    template = str(entries[0].path).replace(f"-{entries[0].quant}.gguf", "-{quant}.gguf")
    config = {
        "experiment": {"name": "tiny", "max_tokens": 8, "top_logprobs": 4, "warmup": 1},
        "ladder": {"backend": "llamacpp", "model": template, "quants": [e.quant for e in entries],
                   "options": {"n_threads": 1}},
        "tasks": [{"name": "mock", "limit": 3}, {"name": "mock", "id": "mc", "limit": 3, "options": {"mode": "loglikelihood"}}],
        "metrics": ["kl_divergence", "top1_agreement"],
        "reports": ["markdown"],
    }
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == 0
    rows = session.store.read("generations").to_pylist()
    assert len(rows) == 18 and all(r["error"] is None for r in rows)
    manifest = json.loads((session.path / "manifest.json").read_text())
    assert {v["digest"] for v in manifest["variants"].values()} == {e.sha256 for e in entries}
    kl = [s for s in session.store.read("scores").to_pylist() if s["metric"] == "kl_divergence" and s["value"] is not None]
    assert kl and all(value["value"] >= 0 for value in kl)
    assert "| F32 |" in (session.path / "report.md").read_text()


def test_ladder_command_reports_what_was_written(tiny_model, tmp_path, cli):
    code, out, err = cli("ladder", str(tiny_model), "--quants", "Q8_0,Q2_K", "--out", str(tmp_path / "out"))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["quant", "bpw", "size", "MB"]
    assert any(line.startswith("F32") and "(baseline)" in line for line in lines)
    assert any(line.startswith("Q2_K") for line in lines)
    code, out, _ = cli("ladder", str(tiny_model), "--quants", "Q8_0", "--out", str(tmp_path / "out"))
    assert "(reused)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quants", "Q9_X"], "unknown quant 'Q9_X'"),
        (["--out", "/proc/qframe-cannot-write"], "/proc/qframe-cannot-write"),
    ],
)
def test_ladder_command_bad_input_is_one_line(tiny_model, args, message, cli):
    code, _, err = cli("ladder", str(tiny_model), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_ladder_command_rejects_a_file_that_is_not_gguf(tmp_path, cli):
    source = tmp_path / "weights.bin"
    source.write_bytes(b"\x00" * 64)
    code, _, err = cli("ladder", str(source), "--out", str(tmp_path / "out"))
    assert code == 2 and "not a GGUF file" in err


def test_fidelity_across_backends_with_other_vocabularies_is_refused_in_one_line(tiny_model, host, run_experiment):
    config = {
        "experiment": {"name": "vocab", "max_tokens": 6, "warmup": 0},
        "fidelity": {"enabled": True, "top_k": 8},
        "variants": [
            {"id": "mock", "backend": "mock", "model": "tiny-F16", "quant": "F16", "baseline": True},
            {"id": "gguf", "backend": "llamacpp", "model": str(tiny_model), "quant": "F32", "options": {"n_threads": 1}},
        ],
        "tasks": [{"name": "mock", "limit": 3}],
        "reports": ["markdown"],
    }
    session, outcome = run_experiment(host, config)
    rows = [r for r in session.store.read("fidelity").to_pylist() if r["variant"] == "gguf"]
    assert len(rows) == 3 and all(r["error"].startswith("fidelity refused: its vocabulary has") for r in rows)
    [note] = [n for n in json.loads((session.path / "manifest.json").read_text())["fidelity"]["notes"] if "gguf" in n]
    assert "\n" not in note and "token ids cannot be compared" in note
