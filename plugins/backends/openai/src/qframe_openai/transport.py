"""HTTP calls to the server (aiohttp), with every failure mapped to one qframe error type.

Retryable (:class:`~qframe.plugin_api.errors.TransientBackendError`, retried by the runner with backoff):
connection refused or dropped, a timeout (:class:`~qframe.plugin_api.errors.BackendTimeout`), HTTP 408, 429
and 5xx, a body cut short, a body that is not JSON, a stream that ends before its last chunk
(:class:`~qframe.plugin_api.errors.BackendResponseError`). Permanent (:class:`~qframe.plugin_api.errors.BackendError`):
any other HTTP error, e.g. 400 for a request the server rejects, 401 for a wrong key.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import aiohttp
from qframe.plugin_api.errors import BackendError, BackendResponseError, BackendTimeout, TransientBackendError

from qframe_openai.settings import OpenAISettings

RETRYABLE_STATUS = frozenset({408, 429})
DONE = "[DONE]"


class NotFound(BackendError):
    """The server has no such endpoint (404): an optional endpoint it does not offer."""


class Transport:
    """One aiohttp session to one server; used from one event loop."""

    def __init__(self, settings: OpenAISettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            key = self.settings.api_key()
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s, connect=self.settings.connect_timeout_s),
                headers={"Authorization": f"Bearer {key}"} if key else {},
                connector=aiohttp.TCPConnector(limit=0),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    async def get_json(self, path: str) -> Any:
        with self._failures(path):
            async with self._client().get(self.url(path)) as response:
                return _json_body(path, response.status, await response.text())

    async def post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        with self._failures(path):
            async with self._client().post(self.url(path), json=body) as response:
                return _json_body(path, response.status, await response.text())

    async def post_stream(self, path: str, body: Mapping[str, Any]) -> AsyncIterator[tuple[float, dict[str, Any]]]:
        """Server-sent events of a streamed reply: (ms since the request was sent, parsed chunk).

        Ends at the ``[DONE]`` event; a stream that closes before it raises BackendResponseError.
        """
        started = time.perf_counter()
        with self._failures(path):
            async with self._client().post(self.url(path), json=body) as response:
                if response.status != 200:
                    _json_body(path, response.status, await response.text())
                async for line in response.content:
                    data = _event_data(line)
                    if data is None:
                        continue
                    if data == DONE:
                        return
                    chunk = _parse(path, data)
                    if isinstance(chunk, Mapping) and "error" in chunk:
                        raise TransientBackendError(f"{path}: the server reported an error mid-stream: {_message(chunk)}")
                    yield (time.perf_counter() - started) * 1000, chunk
        raise BackendResponseError(f"{path}: the stream ended before its [DONE] event (reply cut short)")

    @contextlib.contextmanager
    def _failures(self, path: str) -> Iterator[None]:
        where = self.url(path)
        try:
            yield
        except TimeoutError:
            raise BackendTimeout(f"{where}: no complete answer within {self.settings.timeout_s:g} s") from None
        except aiohttp.ClientPayloadError as exc:
            raise BackendResponseError(f"{where}: reply body cut short ({_first_line(exc)})") from None
        except aiohttp.ClientError as exc:
            raise TransientBackendError(f"{where}: connection failed ({type(exc).__name__}: {_first_line(exc)})") from None


def _json_body(path: str, status: int, text: str) -> Any:
    if status == 200:
        return _parse(path, text)
    message = _error_text(text)
    if status in RETRYABLE_STATUS or status >= 500:
        raise TransientBackendError(f"{path}: server answered HTTP {status}: {message}")
    if status == 404:
        raise NotFound(f"{path}: server answered HTTP 404: {message}")
    raise BackendError(f"{path}: server answered HTTP {status}: {message}")


def _parse(path: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise BackendResponseError(f"{path}: reply is not JSON (truncated or garbled): {text[:80]!r}") from None


def _event_data(line: bytes) -> str | None:
    """The payload of an SSE ``data:`` line; None for blank lines, comments and other fields."""
    text = line.decode("utf-8", errors="replace").strip()
    if not text.startswith("data:"):
        return None
    return text[len("data:") :].strip()


def _error_text(text: str) -> str:
    try:
        return _message(json.loads(text))
    except (json.JSONDecodeError, TypeError, AttributeError):
        return _first_line(text)[:200] or "(empty body)"


def _message(reply: Any) -> str:
    """The message of an error body: OpenAI's ``{"error": {"message"}}``, FastAPI's ``{"detail"}``."""
    error = reply.get("error", reply.get("detail", reply)) if isinstance(reply, Mapping) else reply
    if isinstance(error, Mapping):
        error = error.get("message", error)
    return _first_line(error)[:200]


def _first_line(value: Any) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else ""
