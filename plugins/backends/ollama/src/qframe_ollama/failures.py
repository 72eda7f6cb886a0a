"""Exceptions of the ``ollama`` client and of httpx, as qframe's retryable or permanent errors.

Retried by the runner (:class:`TransientBackendError`): no connection, HTTP 429 and 5xx, an error
reported inside a stream, a timed-out request, a connection cut mid-reply, a body that is not
JSON or lacks a field. Permanent: a missing model (:class:`ModelNotFound`, a bad input) and other 4xx replies.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import ollama
import pydantic

from qframe.plugin_api.errors import BackendError, BackendResponseError, BackendTimeout, BadInputError, TransientBackendError


class ModelNotFound(BadInputError):
    """The daemon does not have the tag; retrying will not help."""


def missing_model(tag: str, host: str) -> ModelNotFound:
    return ModelNotFound(f"ollama at {host} has no model {tag!r}; pull it first: ollama pull {tag}")


@asynccontextmanager
async def translated(tag: str, host: str) -> AsyncIterator[None]:
    """Run a block of client calls, raising qframe errors with one-line messages instead."""
    try:
        yield
    except ollama.ResponseError as exc:
        message = _one_line(exc.error)
        if exc.status_code == 404 or "not found" in message.lower():
            raise missing_model(tag, host) from None
        if exc.status_code == 429 or exc.status_code >= 500:
            raise TransientBackendError(f"ollama at {host}: HTTP {exc.status_code}: {message}") from None
        if exc.status_code == -1:  # an error object inside a streamed reply
            raise TransientBackendError(f"ollama at {host} failed mid-reply: {message}") from None
        raise BackendError(f"ollama at {host} refused the request: HTTP {exc.status_code}: {message}") from None
    except httpx.TimeoutException as exc:
        raise BackendTimeout(f"ollama at {host}: no answer in time ({type(exc).__name__})") from None
    except (ConnectionError, httpx.TransportError) as exc:
        raise TransientBackendError(f"ollama at {host}: connection failed ({type(exc).__name__}: {_one_line(str(exc))})") from None
    except (json.JSONDecodeError, pydantic.ValidationError) as exc:
        raise BackendResponseError(f"ollama at {host} sent a malformed reply ({type(exc).__name__}: {_one_line(str(exc))})") from None


def _one_line(text: str) -> str:
    lines = str(text).strip().splitlines()
    return lines[0][:300] if lines else "(no message)"
