"""Runner overhead: 2,000 items through the mock backend at zero latency.

Reports the time per item of the whole generation stage (scheduling, concurrency limits,
retry wrapper, timeouts, row building, flushing to the Arrow store) and, for comparison, the
time per item of calling the mock backend directly in a loop. Target: under 1 ms per item.

    .venv/bin/python bench/runner_overhead.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from qframe.config import structure_experiment
from qframe.run.plan import build_request
from qframe.plugin_api.plugins import PluginHost
from qframe.plugin_api.protocols import BackendSpec
from qframe.run.session import execute, new_session

ITEMS = 2000
CONFIG = {
    "experiment": {"name": "overhead", "max_tokens": 16, "warmup": 0},
    "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": ["F16", "Q8_0", "Q4_K_M", "Q2_K"]},
    "tasks": [{"name": "mock", "limit": ITEMS // 4}],
    "reports": [],
}


async def direct_loop(experiment, samples) -> float:
    from qframe_mock.backend import MockBackend

    backend = MockBackend(BackendSpec("mock", "tiny-F16", "F16"))
    started = time.perf_counter()
    for _ in range(4):
        for sample in samples:
            await backend.generate(build_request(experiment, sample))
    return time.perf_counter() - started


def main() -> None:
    host = PluginHost()
    host.load_entry_points()
    experiment = structure_experiment(CONFIG)
    with tempfile.TemporaryDirectory() as folder:
        session = new_session(experiment, host, Path(folder), "bench")
        started = time.perf_counter()
        outcome = asyncio.run(execute(session, progress=False))
        total = time.perf_counter() - started
        assert outcome.exit_code == 0 and session.store.read("generations").num_rows == ITEMS
    samples = host.get("tasks", "mock").factory({}).samples(ITEMS // 4, 42)
    direct = asyncio.run(direct_loop(experiment, samples))
    print(f"items: {ITEMS}")
    print(f"qframe run (generation + store + analysis): {total * 1000 / ITEMS:.3f} ms/item")
    print(f"bare backend loop:                         {direct * 1000 / ITEMS:.3f} ms/item")
    print(f"runner overhead:                           {(total - direct) * 1000 / ITEMS:.3f} ms/item (target < 1)")


if __name__ == "__main__":
    main()
