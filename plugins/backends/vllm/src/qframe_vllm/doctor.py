"""The ``vllm`` check of ``qframe doctor``: which interpreter has vLLM, its versions and CPU kernels."""

from __future__ import annotations

import subprocess

from qframe.plugin_api.errors import MissingDependencyError
from qframe.plugin_api.protocols import CheckReport

from qframe_vllm.process import find_python

_PROBE = (
    "import vllm, torch\n"
    "print(vllm.__version__)\n"
    "print(torch.__version__)\n"
    "print(getattr(torch.backends.cpu, 'get_cpu_capability', lambda: '?')())\n"
)
PROBE_TIMEOUT_S = 180


def doctor_check() -> CheckReport:
    try:
        python = find_python(None)
    except MissingDependencyError as exc:
        return CheckReport({"vllm": str(exc)}, installed=False)
    try:
        done = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return CheckReport({"interpreter": str(python)}, (f"vllm: importing vLLM took over {PROBE_TIMEOUT_S} s",))
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or len(lines) < 3:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return CheckReport({"interpreter": str(python)}, (f"vllm: {python} cannot import vLLM ({last})",))
    vllm_version, torch_version, capability = lines[-3:]
    facts = {"interpreter": str(python), "vllm": vllm_version, "torch": torch_version, "torch CPU kernels": capability}
    return CheckReport(facts)
