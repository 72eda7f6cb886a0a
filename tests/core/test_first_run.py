"""A new user's first runs: defaults that complete the report, checks before a run exists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

MINIMAL = """
[experiment]
name = "first"
max_tokens = 24
top_logprobs = {top_logprobs}
warmup = 0

[ladder]
backend = "mock"
model = "tiny-{{quant}}"
quants = ["F16", "Q8_0", "Q2_K"]

[[tasks]]
name = "refusal"
limit = 6

[[tasks]]
name = "qa"
limit = 4

[[tasks]]
name = "arc_challenge"
limit = 8
options = {{ builtin = true }}
{extra}
"""


def minimal(top_logprobs: int = 3, extra: str = "") -> str:
    return MINIMAL.format(top_logprobs=top_logprobs, extra=extra)


def run_dirs(root: Path) -> list[Path]:
    return sorted(path for path in root.iterdir()) if root.exists() else []


def section(report: str, title: str) -> str:
    start = report.index(f"## {title}")
    end = report.find("\n## ", start + 1)
    return report[start : end if end != -1 else None]


def test_minimal_ladder_report_has_safety_fidelity_and_benchmark_data(cli, write_config, tmp_path):
    runs = tmp_path / "runs"
    code, out, err = cli("run", str(write_config(minimal())), "--out", str(runs), "--run-id", "r", "--no-progress")
    assert code == 0, err
    report = (runs / "r" / "report.md").read_text()
    for title in ("Safety and regimes", "Fidelity to the baseline", "Benchmarks"):
        assert "No data for this section" not in section(report, title), title
    manifest = json.loads((runs / "r" / "manifest.json").read_text())
    assert manifest["config"]["judges"]["regex_refusal"]["plugin"] == "regex_refusal"
    assert list(manifest["config"]["judges"]) == ["regex_refusal"]


def test_defaults_can_be_turned_off(cli, write_config, tmp_path):
    runs = tmp_path / "runs"
    config = write_config(minimal(extra="[defaults]\njudges = false\nmetrics = false\n\n[fidelity]\nenabled = false\n"))
    code, _, err = cli("run", str(config), "--out", str(runs), "--run-id", "r", "--no-progress")
    assert code == 0, err
    report = (runs / "r" / "report.md").read_text()
    assert "No data for this section" in section(report, "Safety and regimes")
    assert "No data for this section" in section(report, "Fidelity to the baseline")


def test_a_configured_judge_of_the_same_plugin_replaces_the_default(cli, write_config, tmp_path):
    runs = tmp_path / "runs"
    config = write_config(minimal(extra='[judges.mine]\nplugin = "regex_refusal"\n'))
    code, _, err = cli("run", str(config), "--out", str(runs), "--run-id", "r", "--no-progress")
    assert code == 0, err
    judges = json.loads((runs / "r" / "manifest.json").read_text())["config"]["judges"]
    assert list(judges) == ["mine"]


def test_variant_with_empty_answers_is_flagged(host, run_experiment):
    from qframe.run.session import analyse

    config = {
        "experiment": {"name": "empty", "max_tokens": 8, "warmup": 0},
        "variants": [
            {"id": "base", "backend": "mock", "model": "m-F16", "quant": "F16", "baseline": True},
            {"id": "broken", "backend": "mock", "model": "m-Q2_K", "quant": "Q2_K", "options": {"responses": ["", "", "ok"]}},
        ],
        "tasks": [{"name": "qa", "limit": 6}],
    }
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == 0
    rows = {row["variant"]: row for row in analyse(session)["output_health"]}
    assert rows["broken"]["empty"] == 4 and rows["broken"]["empty_rate"] == pytest.approx(4 / 6)
    assert rows["broken"]["empty_delta_pp"] == pytest.approx(100 * 4 / 6)
    assert rows["broken"]["flag"].startswith("empty +67 pp vs base")
    assert rows["base"]["flag"] == ""
    report = (session.path / "report.md").read_text()
    assert "1 variant/task rows differ from their baseline by 10 pp or more" in report


def test_answers_cut_at_max_tokens_are_counted(host, run_experiment):
    from qframe.run.session import analyse

    config = {
        "experiment": {"name": "cut", "max_tokens": 2, "warmup": 0},
        "ladder": {"backend": "mock", "model": "m-{quant}", "quants": ["F16", "Q4_0"]},
        "tasks": [{"name": "qa", "limit": 5}],
    }
    session, _ = run_experiment(host, config)
    rows = analyse(session)["output_health"]
    generations = session.store.read("generations").to_pylist()
    for row in rows:
        expected = sum(1 for g in generations if g["variant"] == row["variant"] and g["finish_reason"] == "length")
        assert row["cut"] == expected


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_data_file_fails_before_a_run_directory_exists(cli, write_config, tmp_path, command):
    runs = tmp_path / "runs"
    missing = tmp_path / "nowhere.csv"
    config = write_config(minimal(extra=f'\n[[tasks]]\nname = "refusal"\nid = "mine"\noptions = {{ path = "{missing}" }}\n'))
    args = [command, str(config)] + (["--out", str(runs), "--no-progress"] if command == "run" else [])
    code, out, err = cli(*args)
    assert code == 2
    message = err.strip().splitlines()
    assert len(message) == 1 and str(missing) in message[0]
    assert run_dirs(runs) == []


def test_existing_run_id_is_refused(cli, write_config, tmp_path):
    runs = tmp_path / "runs"
    config = str(write_config(minimal()))
    assert cli("run", config, "--out", str(runs), "--run-id", "same", "--no-progress")[0] == 0
    before = (runs / "same" / "manifest.json").read_text()
    code, _, err = cli("run", config, "--out", str(runs), "--run-id", "same", "--no-progress")
    assert code == 2
    assert "already exists" in err and "qframe resume" in err and len(err.strip().splitlines()) == 1
    assert (runs / "same" / "manifest.json").read_text() == before


def test_validate_reports_items_and_default_judges(cli, write_config):
    code, out, _ = cli("validate", str(write_config(minimal())))
    assert code == 0
    assert "3 variants (baseline F16), 3 tasks, 18 items per variant" in out
    assert "regex_refusal (regex_refusal)" in out
