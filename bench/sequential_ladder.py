"""The demo ladder run both ways: stopped when decided, and every item of the same pool.

Runs the built-in demo's experiment (SmolLM2-135M-Instruct, F16 plus six quants, the demo's
tasks with the arithmetic drill) twice in fresh run folders: as the demo runs it
(``[schedule] stop = "decided"``) and with ``stop = "planned"`` (every item of the same pool,
same round-robin order). Prints wall time, items per variant and each variant's quality tier.

    .venv/bin/python bench/sequential_ladder.py [--output-dir /tmp/qframe-ladder-bench]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import time
from pathlib import Path

from qframe.analysis.evidence import label_evidence
from qframe.config import structure_experiment
from qframe.commands.demo import demo_config
from qframe.plugin_api.plugins import PluginHost
from qframe.run.session import analyse, execute, new_session


def run(host: PluginHost, config: dict, output: Path, run_id: str) -> tuple[float, dict]:
    session = new_session(structure_experiment(config), host, output, run_id)
    started = time.perf_counter()
    asyncio.run(execute(session, progress=False))
    wall = time.perf_counter() - started
    analysis = analyse(session)
    rows = {}
    for cell in analysis["cells"]:
        tier = label_evidence(analysis, cell, "quality_tier")
        rows[cell["variant"]] = (cell["items"], f"{tier.label} ({tier.status or 'baseline'})")
    return wall, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path("/tmp/qframe-ladder-bench"))
    output = parser.parse_args().output_dir
    host = PluginHost()
    host.load_entry_points()
    decided = demo_config(host)
    planned = copy.deepcopy(decided)
    planned["schedule"]["stop"] = "planned"
    stamp = time.strftime("%Y%m%dT%H%M%S")
    results = {name: run(host, config, output, f"{name}-{stamp}") for name, config in
               (("decided", decided), ("planned", planned))}
    print("| variant | items (stop when decided) | tier | items (planned) | tier |")
    print("| --- | --- | --- | --- | --- |")
    for variant, (items, tier) in results["decided"][1].items():
        planned_items, planned_tier = results["planned"][1][variant]
        print(f"| {variant} | {items} | {tier} | {planned_items} | {planned_tier} |")
    decided_wall, planned_wall = results["decided"][0], results["planned"][0]
    print(f"wall: stop when decided {decided_wall:.0f} s, planned {planned_wall:.0f} s, "
          f"ratio {decided_wall / planned_wall:.2f}")


if __name__ == "__main__":
    main()
