"""A real llama.cpp server for tests and benchmarks: ``python -m llama_cpp.server`` on 127.0.0.1.

One process, serving one model or (``also_serve``) several under their aliases, bound to a free
loopback port, stopped (and restartable on the same port) by the caller. The server keeps every position's logits (its ``logits_all`` default), which
``/v1/completions`` needs to return prompt log-probabilities.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Self

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LlamaServer:
    """``python -m llama_cpp.server`` serving one GGUF under ``alias``, and ``also_serve``'s
    (alias -> GGUF) beside it; the server swaps the loaded model to the one each request names."""

    def __init__(
        self,
        model: Path,
        alias: str,
        n_ctx: int = 1024,
        n_threads: int = 1,
        log: Path | None = None,
        also_serve: Mapping[str, Path] | None = None,
    ) -> None:
        self.model = Path(model)
        self.alias = alias
        self.also_serve = {name: Path(path) for name, path in (also_serve or {}).items()}
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.port = free_port()
        self.log = log
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        command = [sys.executable, "-m", "llama_cpp.server", *self._arguments()]
        environment = os.environ | {"OMP_NUM_THREADS": str(self.n_threads)}
        if self.log is None:
            self._process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=environment
            )
        else:
            with open(self.log, "ab") as output:  # the child keeps its own copy of the descriptor
                self._process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with status {self._process.returncode} while starting")
            if self.answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"llama_cpp.server did not answer on {self.url} within {START_TIMEOUT_S:g} s")

    def _model_settings(self, model: Path, alias: str) -> dict[str, object]:
        threads = {"n_threads": self.n_threads, "n_threads_batch": self.n_threads}
        return {"model": str(model), "model_alias": alias, "n_ctx": self.n_ctx, "seed": 42} | threads

    def _arguments(self) -> list[str]:
        """Command-line flags for one model; a config file (the server's multi-model form) for several."""
        if not self.also_serve:
            settings = self._model_settings(self.model, self.alias)
            return [f"--{key}={value}" for key, value in settings.items()] + [
                "--host=127.0.0.1",
                f"--port={self.port}",
            ]
        models = [self._model_settings(self.model, self.alias)]
        models += [self._model_settings(path, name) for name, path in self.also_serve.items()]
        config = self.model.with_name(f"server-{self.port}.json")
        config.write_text(json.dumps({"host": "127.0.0.1", "port": self.port, "models": models}))
        return ["--config_file", str(config)]

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/v1/models", timeout=1) as reply:
                return reply.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash would: in-flight requests lose their connection."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
