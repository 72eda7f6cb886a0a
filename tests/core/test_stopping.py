"""Runs that stop when decided: blocks, looks, stops, the report's Stopping section, resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from qframe.config import structure_experiment
from qframe.plugin_api.errors import ConfigError
from qframe.run.session import EXIT_OK

POOL, BLOCK = 1500, 100


def sequential_ladder(pool: int = POOL, block: int = BLOCK, **schedule) -> dict:
    """The mock ladder on loglikelihood arithmetic: Q2_K loses ~22 pp, Q8_0 ~0.5, Q4_K_M ~6 (a close call)."""
    return {
        "experiment": {"name": "stops", "max_tokens": 8, "warmup": 0},
        "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": ["F16", "Q8_0", "Q4_K_M", "Q2_K"]},
        "tasks": [{"name": "mock", "options": {"n": pool, "mode": "loglikelihood"}}],
        "schedule": {"mode": "round_robin", "stop": "decided", "block_size": block, "decide": ["quality_tier"]} | schedule,
        "analysis": {"benchmark_metric": "accuracy_raw"},
        "store": {"flush_rows": 50, "flush_interval_s": 0.2},
    }


def _generated(run_dir: Path) -> Counter:
    from qframe_store_arrow.store import ArrowRunStore

    return Counter(row["variant"] for row in ArrowRunStore(run_dir).read("generations").to_pylist())


def test_a_collapsed_rung_stops_early_and_close_calls_keep_drawing(host, run_experiment):
    session, outcome = run_experiment(host, sequential_ladder())
    assert outcome.exit_code == EXIT_OK
    state = session.manifest["sequential"]
    stops = state["stopped"]
    assert stops["Q2_K"]["reason"] == "decided" and stops["Q2_K"]["look"] <= 4
    assert stops["Q2_K"]["labels"] == {"quality_tier": "unacceptable (supported)"}
    assert stops["Q4_K_M"]["reason"] == "pool_exhausted" and stops["Q4_K_M"]["waiting"] == ["quality_tier"]
    counts = _generated(session.path)
    # a stopped variant drew exactly the blocks up to its stop; the baseline drew while any variant did
    assert counts["Q2_K"] == stops["Q2_K"]["units"] == BLOCK * stops["Q2_K"]["look"]
    assert counts["F16"] == counts["Q4_K_M"] == POOL
    assert [look["look"] for look in state["looks"]] == list(range(1, POOL // BLOCK + 1))
    assert "Q2_K" not in state["looks"][-1]["drawing"]
    report = (session.path / "report.md").read_text()
    stopping = report[report.index("## Stopping"):report.index("\n## ", report.index("## Stopping") + 1)]
    assert f"{POOL // BLOCK} looks" in stopping and "anytime-valid" in stopping
    assert "| Q2_K | " + str(stops["Q2_K"]["look"]) + " | " in stopping
    assert "read at 15 looks" in report  # the decision matrix says its intervals are sequences
    page = (session.path / "report.html").read_text()
    assert '<h2 id="stopping">Stopping</h2>' in page and "anytime-valid" in page


def test_every_interval_of_a_sequential_run_is_a_confidence_sequence_in_draw_order(host, run_experiment):
    from qframe.analysis.stats.sequential import paired_difference_cs
    from qframe.analysis.draws import draw_positions, units_of_rows
    from qframe_store_arrow.store import ArrowRunStore

    session, _ = run_experiment(host, sequential_ladder(pool=400))
    from qframe.run.session import analyse

    analysis = analyse(session)
    rows = [r for r in analysis["comparisons"] if r["variant"] == "Q4_K_M"]
    assert rows and all(r["ci_method"] == "confidence_sequence" and "cluster_ci_low" not in r for r in rows)
    generations = ArrowRunStore(session.path).read("generations").to_pylist()
    state = session.manifest["sequential"]
    positions = draw_positions(units_of_rows(generations), state["seed"], state["strata"])
    scores = [r for r in ArrowRunStore(session.path).read("scores").to_pylist() if r["metric"] == "accuracy_raw"]
    value = {(r["variant"], r["sample_id"]): r["value"] for r in scores}
    order = sorted((s for v, s in value if v == "Q4_K_M"), key=lambda s: positions[("mock", s)])
    differences = [value[("Q4_K_M", s)] - value[("F16", s)] for s in order]
    expected = paired_difference_cs(differences, 0.05, target=state["pool_units"])[-1]
    row = rows[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((expected.low, expected.high))
    cell = next(c for c in analysis["cells"] if c["variant"] == "Q4_K_M")
    assert cell["benchmark_delta_pp_ci"] == pytest.approx([100 * expected.low, 100 * expected.high])


def test_max_items_caps_every_variant(host, run_experiment):
    session, _ = run_experiment(host, sequential_ladder(pool=1000, max_items=300))
    stops = session.manifest["sequential"]["stopped"]
    assert stops["Q4_K_M"]["reason"] == "max_items" and stops["Q4_K_M"]["units"] == 300
    assert max(_generated(session.path).values()) == 300


def test_a_label_the_pool_cannot_measure_is_not_waited_for(host, run_experiment):
    session, _ = run_experiment(host, sequential_ladder(pool=600, decide=["quality_tier", "safety_regime"]))
    state = session.manifest["sequential"]
    assert state["measurable"] == ["quality_tier"]
    assert state["stopped"]["Q2_K"]["reason"] == "decided"
    assert "safety_regime: not measurable on this pool" in (session.path / "report.md").read_text()


def test_a_baseline_alone_draws_the_whole_pool(host, run_experiment):
    config = sequential_ladder(pool=300)
    config["ladder"]["quants"] = ["F16"]
    session, outcome = run_experiment(host, config)
    assert outcome.exit_code == EXIT_OK and _generated(session.path) == {"F16": 300}
    assert session.manifest["sequential"]["stopped"] == {}


def test_unknown_label_to_decide_is_a_config_error():
    config = sequential_ladder(decide=["quality_tier", "vibes"])
    with pytest.raises(ConfigError, match="decide.*unknown label 'vibes'"):
        structure_experiment(config)


RESUMABLE = """
[experiment]
name = "stops"
max_tokens = 8
warmup = 0

[ladder]
backend = "mock"
model = "tiny-{quant}"
quants = ["F16", "Q8_0", "Q4_K_M", "Q2_K"]
options = { latency_s = 0.002 }

[[tasks]]
name = "mock"
options = { n = 1200, mode = "loglikelihood" }

[schedule]
mode = "round_robin"
stop = "decided"
block_size = 100
decide = ["quality_tier"]

[analysis]
benchmark_metric = "accuracy_raw"

[store]
flush_rows = 50
flush_interval_s = 0.2
"""


def _start(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qframe", *args, "--no-progress"], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_an_interrupted_sequential_run_resumes_with_the_same_stopping_state(tmp_path):
    (tmp_path / "exp.toml").write_text(RESUMABLE)
    reference = _start("run", "exp.toml", "--run-id", "reference", cwd=tmp_path)
    assert reference.wait(timeout=300) == 0, reference.stderr.read()

    run_dir = tmp_path / "runs" / "stopped"
    process = _start("run", "exp.toml", "--run-id", "stopped", cwd=tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # stop it once it has taken two looks
        manifest = run_dir / "manifest.json"
        if manifest.exists() and len(json.loads(manifest.read_text()).get("sequential", {}).get("looks", [])) >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 143
    looks_before = len(json.loads((run_dir / "manifest.json").read_text())["sequential"]["looks"])
    assert looks_before < 12
    resumed = _start("resume", str(run_dir), cwd=tmp_path)
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()

    def state(path: Path) -> dict:
        entry = json.loads((path / "manifest.json").read_text())["sequential"]
        return {"stopped": entry["stopped"], "looks": [(look["look"], look["drawing"], look["stopped"]) for look in entry["looks"]]}

    assert state(run_dir) == state(tmp_path / "runs" / "reference")
    assert _generated(run_dir) == _generated(tmp_path / "runs" / "reference")
