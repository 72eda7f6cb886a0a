"""Command-line start-up: ``qframe --help`` and ``qframe plugins`` against a bare import floor.

The floor is ``python -c "import click, pluggy, attrs"``: the libraries any click + pluggy CLI
must load. Each round runs the floor and both commands once, in a fresh process, in rotated
order (so a slow moment of the machine is shared); the figure is the median of each over the
rounds and the ratio of medians. Target: each command within 2.5x the floor.

    .venv/bin/python bench/startup.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "floor (import click, pluggy, attrs)": [sys.executable, "-c", "import click, pluggy, attrs"],
    "qframe --help": [str(BIN / "qframe"), "--help"],
    "qframe plugins": [str(BIN / "qframe"), "plugins"],
}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    names = list(COMMANDS)
    for name in names:  # one untimed run each: page cache and .pyc files
        timed(COMMANDS[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(timed(COMMANDS[name]))
    floor = statistics.median(times[names[0]])
    print(f"{'command':<36} {'median ms':>10} {'x floor':>8}")
    for name in names:
        median = statistics.median(times[name])
        print(f"{name:<36} {1000 * median:>10.1f} {median / floor:>8.2f}")


if __name__ == "__main__":
    main()
