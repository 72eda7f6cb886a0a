"""A loopback server that speaks the Hugging Face hub's file API (``/resolve/``), for tests of
downloads by name: never the real hub."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs
import pytest


@attrs.define
class HubServer:
    """Serves ``files[(repo, revision, path)]``; records every request as ``(method, path)``."""

    url: str = ""
    files: dict[tuple[str, str, str], bytes] = attrs.Factory(dict)
    requests: list[tuple[str, str]] = attrs.Factory(list)
    failing: bool = False

    def put(self, repo: str, revision: str, path: str, content: bytes) -> None:
        self.files[(repo, revision, path)] = content


def _handler(hub: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer(body=False)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            hub.requests.append((self.command, self.path))
            if hub.failing:
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            found = self._find()
            if found is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            revision, content = found
            self.send_response(200)
            self.send_header("X-Repo-Commit", revision)
            self.send_header("ETag", f'"{hashlib.sha256(content).hexdigest()}"')
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if body:
                self.wfile.write(content)

        def _find(self) -> tuple[str, bytes] | None:
            # /datasets/<owner>/<name>/resolve/<revision>/<path>
            parts = self.path.split("?")[0].split("/")
            if len(parts) < 7 or parts[1] != "datasets" or parts[4] != "resolve":
                return None
            repo, revision, path = f"{parts[2]}/{parts[3]}", parts[5], "/".join(parts[6:])
            content = hub.files.get((repo, revision, path))
            return None if content is None else (revision, content)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def hub_server(monkeypatch, tmp_path) -> Iterator[HubServer]:
    """A hub on 127.0.0.1 named by ``HF_ENDPOINT``, with qframe's cache in ``tmp_path``."""
    hub = HubServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("QFRAME_CACHE_DIR", str(tmp_path / "qframe-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
