"""Safety suites and judges in a whole run, and ``qframe rejudge`` adding a judge afterwards."""

from __future__ import annotations

import json

import pytest

from qframe.commands.rejudge import items_to_judge, parse_option
from qframe.plugin_api.errors import ConfigError
from qframe.run.session import open_session
from tests.safety.support import make_item

REFUSER = {"responses": ["I'm sorry, but I can't help with that."]}
COMPLIER = {"responses": ["Sure, here is a detailed answer.", "I cannot do that."]}


def safety_config(**judges) -> dict:
    return {
        "experiment": {"name": "safety", "max_tokens": 32, "warmup": 0},
        "variants": [
            {"id": "F16", "backend": "mock", "model": "tiny-F16", "quant": "F16", "options": REFUSER},
            {"id": "Q2_K", "backend": "mock", "model": "tiny-Q2_K", "quant": "Q2_K", "options": COMPLIER},
        ],
        "tasks": [{"name": "refusal", "limit": 6}, {"name": "over_refusal", "limit": 4}, {"name": "bias", "limit": 4}],
        "judges": {"regex": {"plugin": "regex_refusal"}} | judges,
        "concurrency": {"mock": 1},
    }


def verdicts(session, judge: str) -> list[dict]:
    return [row for row in session.store.read("verdicts").to_pylist() if row["judge"] == judge]


def test_a_run_stores_regex_and_llm_verdicts(host, run_experiment):
    llm = {
        "plugin": "llm",
        "backend": "mock",
        "model": "judge",
        "options": {"backend_options": {"responses": ["VERDICT: refusal", "nonsense"]}, "concurrency": 1},
    }
    session, outcome = run_experiment(host, safety_config(llm=llm))
    assert outcome.exit_code == 0
    regex = {(row["variant"], row["task"]): row["label"] for row in verdicts(session, "regex")}
    assert regex[("F16", "refusal")] == "refusal" and regex[("F16", "bias")] == "n/a"
    assert {
        row["label"] for row in verdicts(session, "regex") if row["variant"] == "F16" and row["task"] != "bias"
    } == {"refusal"}
    judged = verdicts(session, "llm")
    assert len(judged) == 28
    bias_labels = {row["label"] for row in judged if row["task"] == "bias"}
    assert bias_labels <= {"unparsed"}  # refusal words do not answer the bias template
    assert {row["label"] for row in judged} == {"refusal", "unparsed"}
    assert all(row["judge_model"] == "judge" and len(row["judge_digest"]) == 64 for row in judged)


def test_rejudge_adds_a_new_judge_and_prints_its_agreement(host, run_experiment, cli):
    session, _ = run_experiment(host, safety_config())
    code, out, err = cli(
        "rejudge",
        str(session.path),
        "--judge",
        "guard",
        "--plugin",
        "llm",
        "--backend",
        "mock",
        "--model",
        "judge",
        "--option",
        'backend_options = {responses = ["VERDICT: refusal"]}',
        "--option",
        "concurrency=1",
    )
    assert code == 0, err
    reopened = open_session(session.path, host)
    assert reopened.experiment.judges["guard"].plugin == "llm"
    manifest = json.loads((session.path / "manifest.json").read_text())
    assert manifest["config"]["judges"]["guard"]["options"]["concurrency"] == 1
    assert manifest["config_hash"] != session.manifest["config_hash"]
    assert "judge guard: 28 verdicts written" in err
    assert "agreement of 'guard' with each judge" in out
    regex_line = next(line for line in out.splitlines() if line.startswith("regex "))
    assert regex_line.split()[1] == "20"  # refusal and over-refusal items of both variants
    assert "refusal rate of 'guard' minus 'regex'" in out
    assert "Q2_K" in out

    code, out, err = cli("rejudge", str(session.path), "--judge", "guard")
    assert code == 0 and "0 verdicts written" in err
    code, out, err = cli("rejudge", str(session.path), "--judge", "guard", "--redo")
    assert code == 0 and "28 verdicts written" in err


def test_rejudge_a_configured_judge_and_errors(host, run_experiment, cli):
    session, _ = run_experiment(host, safety_config())
    code, out, err = cli("rejudge", str(session.path), "--judge", "regex", "--redo")
    assert code == 0 and "28 verdicts written" in err and "no other judge" in out
    code, _, err = cli("rejudge", str(session.path), "--judge", "guard")
    assert code == 2 and "the run has no judge 'guard' (its judges: regex); add one with --plugin" in err
    code, _, err = cli("rejudge", str(session.path), "--judge", "regex", "--plugin", "llm")
    assert code == 2 and "already has a judge 'regex'" in err
    code, _, err = cli("rejudge", str(session.path), "--judge", "new", "--plugin", "nope")
    assert code == 2 and "--plugin: unknown judge 'nope'" in err
    code, _, err = cli("rejudge", str(session.path), "--judge", "new", "--plugin", "llm", "--backend", "mock")
    assert code == 2 and "'model' is required" in err
    assert "new" not in open_session(session.path, host).experiment.judges


def test_items_with_error_verdicts_are_judged_again():
    items = [make_item("a", sample_id="a"), make_item("b", sample_id="b"), make_item("c", sample_id="c")]
    stored = [
        {"variant": "Q4_K_M", "task": "refusal", "sample_id": "a", "repetition": 0, "judge": "j", "label": "refusal"},
        {"variant": "Q4_K_M", "task": "refusal", "sample_id": "b", "repetition": 0, "judge": "j", "label": "error"},
        {"variant": "Q4_K_M", "task": "refusal", "sample_id": "c", "repetition": 0, "judge": "k", "label": "refusal"},
    ]
    assert [item.sample.id for item in items_to_judge(items, stored, "j", redo=False)] == ["b", "c"]
    assert len(items_to_judge(items, stored, "j", redo=True)) == 3


def test_option_values_are_read_as_toml():
    assert parse_option('tasks=["refusal"]') == ("tasks", ["refusal"])
    assert parse_option("max_tokens = 64") == ("max_tokens", 64)
    assert parse_option("system=Be brief.") == ("system", "Be brief.")
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        parse_option("novalue")
