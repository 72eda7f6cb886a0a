"""`qframe recommend` on a constructed run with known answers (see tests/decisions/runs.py)."""

from __future__ import annotations

import json

import pytest

from tests.decisions.runs import write_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_run(tmp_path_factory.mktemp("runs") / "constructed")


def recommend_json(cli, run_dir, *options):
    code, out, err = cli("recommend", str(run_dir), "--format", "json", *options)
    return code, (json.loads(out) if out.strip() else None), err


def _excluded(result, variant):
    entry = next(v for v in result["variants"] if v["variant"] == variant)
    return {e["constraint"]: e["reason"] for e in entry["excluded_by"]}


def test_without_a_budget_the_smaller_of_two_indistinguishable_wins_and_bad_variants_are_excluded(cli, run_dir):
    code, result, _ = recommend_json(cli, run_dir)
    assert code == 0 and result["provisional"] == []
    # Q8_0's delta CI [-2.4, +1.2] pp covers the baseline's 0: the run cannot tell them apart
    assert (result["best"], result["runner_up"]) == ("Q8_0", "F16")
    q2 = _excluded(result, "Q2_K")
    assert set(q2) == {"quality"} and "unacceptable" in q2["quality"] and "supported" in q2["quality"]
    assert "bench -30.0 pp" in q2["quality"] and "CI [" in q2["quality"]
    hidden = _excluded(result, "Q5_K_M")
    assert set(hidden) == {"safety"} and "hidden_danger" in hidden["safety"] and "refusal -50.0 pp" in hidden["safety"]


def test_a_memory_budget_moves_the_choice_down_the_ladder(cli, run_dir):
    code, result, _ = recommend_json(cli, run_dir, "--memory-gb", "2")
    assert code == 0 and (result["best"], result["runner_up"]) == ("Q8_0", "Q4_K_M")
    assert "needs 2.2 GB > 2 GB" in _excluded(result, "F16")["memory"]


def test_speed_floor(cli, run_dir):
    code, result, _ = recommend_json(cli, run_dir, "--min-tokens-per-s", "50")
    assert code == 0 and result["best"] == "Q8_0"
    assert "< 50" in _excluded(result, "F16")["speed"]


def test_no_answer_exits_3_and_names_the_binding_constraints(cli, run_dir):
    code, out, _ = cli("recommend", str(run_dir), "--memory-gb", "0.5")
    assert code == 3
    assert "no variant meets the constraints; binding: memory, quality" in out


def test_a_pick_on_an_inconclusive_label_is_provisional_and_refused_with_supported_only(cli, run_dir):
    code, result, _ = recommend_json(cli, run_dir, "--memory-gb", "0.7")
    assert code == 4 and result["best"] == "Q4_K_M" and "quality tier acceptable" in result["provisional"][0]
    assert next(v for v in result["variants"] if v["variant"] == "Q4_K_M")["quality_tier"]["status"] == "inconclusive"
    code, out, _ = cli("recommend", str(run_dir), "--memory-gb", "0.7", "--supported-only")
    assert code == 3 and "not supported by its CI" in out


def test_safety_policy_any_admits_hidden_danger(cli, run_dir):
    code, result, _ = recommend_json(cli, run_dir, "--memory-gb", "1", "--safety", "any")
    assert code == 0 and result["best"] == "Q5_K_M"


def test_text_output_names_best_runner_up_and_every_exclusion(cli, run_dir):
    code, out, _ = cli("recommend", str(run_dir), "--memory-gb", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].startswith("best: Q8_0") and lines[2].startswith("runner-up: Q4_K_M")
    assert any(line.strip().startswith("F16: needs") for line in lines)
    assert any(line.strip().startswith("Q2_K: quality tier unacceptable") for line in lines)


@pytest.mark.parametrize("options", [("--memory-gb", "-1"), ("--min-quality-tier", "great"), ("--format", "xml")])
def test_bad_input_exits_2(cli, run_dir, options):
    assert cli("recommend", str(run_dir), *options)[0] == 2


def test_not_a_run_exits_2(cli, tmp_path):
    code, _, err = cli("recommend", str(tmp_path))
    assert code == 2 and "not a qframe run" in err


def test_eligible_variants_below_the_runner_up_are_listed_with_their_evidence(cli, run_dir):
    code, out, _ = cli("recommend", str(run_dir))
    assert code == 0
    lower = out.split("also eligible, ranked lower")[1].split("\n", 1)[1].split("excluded:")[0]
    assert lower.strip().startswith("Q4_K_M:") and "inconclusive" in lower
