"""A ladder experiment with ``backend = "ollama"`` against the test server, end to end."""

from __future__ import annotations

import asyncio
import json

import pytest

from qframe.run.session import execute, open_session
from tests.ollama.fake_ollama import Fault

pytestmark = [pytest.mark.slow, pytest.mark.network]


def ladder_config(url: str, **experiment) -> dict:
    return {
        "experiment": {"name": "ollama-ladder", "seed": 3, "max_tokens": 8, "top_logprobs": 3, **experiment},
        "ladder": {
            "backend": "ollama",
            "model": "tiny:{quant}",
            "quants": ["fp16", "q8_0", "q4_K_M"],
            "options": {"host": url},
        },
        "tasks": [{"name": "mock", "limit": 4}],
        "metrics": ["exact_match", "kl_divergence", "top1_agreement"],
        "retry": {"attempts": 3, "base_delay_s": 0.01, "max_delay_s": 0.05},
    }


def test_ladder_run_reports_native_timings_with_one_model_resident(host, run_experiment, server, tiny_ladder):
    session, outcome = run_experiment(host, ladder_config(server.url))

    assert outcome.exit_code == 0
    manifest = json.loads((session.path / "manifest.json").read_text())
    variants = manifest["variants"]
    assert list(variants) == ["fp16", "q8_0", "q4_K_M"] and variants["fp16"]["baseline"]
    for name, entry in variants.items():
        assert entry["digest"] == tiny_ladder[f"tiny:{name}"].digest
        assert entry["engine"] == "ollama 0.12.11" and entry["details"]["load_ms"] > 0
    assert variants["fp16"]["bits_per_weight"] > variants["q8_0"]["bits_per_weight"] > variants["q4_K_M"]["bits_per_weight"]
    # Sequential ladder: each tag is unloaded before the next one loads.
    assert server.max_resident == 1 and server.resident == []
    assert [event for event, _ in server.events] == ["load", "unload"] * 3

    rows = session.store.read("generations").to_pylist()
    assert len(rows) == 12 and all(r["error"] is None for r in rows)
    assert all(r["prompt_eval_ms"] > 0 and r["eval_ms"] > 0 and r["eval_tokens"] > 0 for r in rows)
    assert all(len(r["top_logprobs"]) == r["completion_tokens"] for r in rows)
    scores = session.store.read("scores").to_pylist()
    kl = [s["value"] for s in scores if s["metric"] == "kl_divergence" and s["value"] is not None]
    assert len(kl) == 8 and min(kl) >= 0

    report = (session.path / "report.md").read_text()
    table = [line for line in report.split("## Performance, memory and cost", 1)[1].splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in table[0].split("|")]
    for line in table[2:5]:
        cells = [cell.strip() for cell in line.split("|")]
        assert float(cells[header.index("Native tok/s")]) > 0
        assert float(cells[header.index("TTFT mean (ms)")]) >= 0


def test_faults_end_done_or_stored_and_resume_completes(host, run_experiment, server):
    config = ladder_config(server.url, warmup=0, timeout_s=2.0, top_logprobs=0)
    config["ladder"]["quants"] = ["q8_0"]
    # Nine failed replies over four items with three attempts each: at least one item fails all of
    # its attempts (each could absorb two), whichever way the retries interleave.
    server.inject(
        Fault("status", status=500), Fault("status", status=503), Fault("status", status=429),
        Fault("truncate"), Fault("garbage"), Fault("stream_error"), Fault("status", status=502),
        Fault("slow", delay_s=3.0), Fault("status", status=500),
    )
    session, outcome = run_experiment(host, config)

    assert outcome.exit_code == 1
    rows = session.store.read("generations").to_pylist()
    assert len(rows) == 4 and len({r["sample_id"] for r in rows}) == 4
    failed = [r for r in rows if r["error"] is not None]
    assert failed and all(r["attempts"] == 3 for r in failed)
    assert all(r["eval_ms"] > 0 for r in rows if r["error"] is None)
    # Every request the server saw is one attempt of one stored item: none lost, none repeated.
    calls = [body for _, body in server.requests if body.get("messages")]
    assert sum(r["attempts"] for r in rows) == len(calls) == 9 + (4 - len(failed))

    resumed = open_session(session.path, host)
    outcome = asyncio.run(execute(resumed, progress=False))
    assert outcome.exit_code == 0
    rows = resumed.store.read("generations").to_pylist()
    assert len(rows) == 4 and all(r["error"] is None and r["eval_ms"] > 0 for r in rows)


def test_cli_run_with_an_ollama_ladder_and_a_missing_tag(cli, write_config, server, tmp_path):
    ladder = f"""
        [experiment]
        name = "cli-ollama"
        max_tokens = 4
        warmup = 0

        [ladder]
        backend = "ollama"
        model = "tiny:{{quant}}"
        quants = QUANTS
        options = {{host = "{server.url}"}}

        [[tasks]]
        name = "mock"
        limit = 2
        """
    good = write_config(ladder.replace("QUANTS", '["fp16", "q4_K_M"]'), "good.toml")
    code, _, err = cli("run", str(good), "--out", str(tmp_path / "runs"), "--no-progress")
    assert code == 0, err
    report = next((tmp_path / "runs").glob("cli-ollama-*/report.md")).read_text()
    assert "| fp16 |" in report and "| q4_K_M |" in report

    missing = write_config(ladder.replace("QUANTS", '["fp16", "q5_0"]'), "missing.toml")
    code, _, err = cli("run", str(missing), "--out", str(tmp_path / "runs"), "--no-progress")
    assert code == 2
    [line] = [line for line in err.splitlines() if line.startswith("qframe: error:")]
    assert "has no model 'tiny:q5_0'; pull it first: ollama pull tiny:q5_0" in line
