"""Loading the ollama plugin imports no client library; the backend is registered by name."""

from __future__ import annotations

import subprocess
import sys

from qframe.plugin_api.protocols import Backend, BackendSpec


def test_plugin_module_imports_no_client_library() -> None:
    code = "import sys\nimport qframe_ollama.plugin\nprint(sorted({'ollama', 'httpx', 'pydantic'} & set(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_backend_is_registered_and_builds_without_contacting_a_server(host) -> None:
    entry = host.get("backends", "ollama")
    backend = entry.factory(BackendSpec("ollama", "llama3.2:1b-instruct-q8_0", "q8_0", options={"host": "127.0.0.1:9"}))
    assert isinstance(backend, Backend)
    assert backend.tag == "llama3.2:1b-instruct-q8_0" and backend.settings.host == "http://127.0.0.1:9"
