"""Where a variant ran, for provenance: host, CPU model and the GPUs its process was given.

A performance figure compares only within one kind of hardware; the report says so when the
variants of a run ran on different kinds (:func:`hardware_label` is what it compares).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from typing import Any


@cache
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what the platform reports)."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_names(ids: Sequence[str] | None = None) -> list[str]:
    """Names of the NVIDIA GPUs with the given indices (default: those ``CUDA_VISIBLE_DEVICES``
    allows, or all); empty without ``nvidia-smi``."""
    if ids is None:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        ids = None if visible is None else [part for part in visible.split(",") if part.strip()]
    if ids == [] or shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(
            ["nvidia-smi", "--query-gpu=index,name", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    names = dict(line.split(", ", 1) for line in listing.strip().splitlines() if ", " in line)
    return [names[str(i).strip()] for i in ids if str(i).strip() in names] if ids is not None else list(names.values())


def hardware_label(gpus: Sequence[str], cpu: str) -> str:
    """One comparable label: the GPU models (with counts) or, without GPUs, the CPU model."""
    if not gpus:
        return f"CPU {cpu}"
    counts: dict[str, int] = {}
    for name in gpus:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{count}x {name}" for name, count in counts.items())


def describe_node(gpu_ids: Sequence[str] | None = None, **extra: Any) -> dict[str, Any]:
    """This process's machine as a provenance record (``extra``: node id, executor name...)."""
    gpus = gpu_names(gpu_ids)
    cpu = cpu_model()
    return {
        "hostname": platform.node(),
        "cpu": cpu,
        "gpus": gpus,
        "hardware": hardware_label(gpus, cpu),
        "python": platform.python_version(),
        **extra,
    }
