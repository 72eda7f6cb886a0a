"""An HTTP proxy on 127.0.0.1 (aiohttp, in its own thread) that injects faults into replies.

Each POST takes the next fault from ``faults`` (then ``pass``): ``500`` and ``429`` answer with
that status, ``truncate`` sends half the body under the full Content-Length and drops the
connection, ``garbage`` sends a complete but cut-off JSON body, ``slow`` waits ``slow_s`` before
forwarding. While the upstream server is down, the proxy drops the client's connection, as the
server itself would. ``on_post(index)`` runs for every POST (in the proxy's thread).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Self

import aiohttp
from aiohttp import web

FAULTS = ("pass", "500", "429", "truncate", "garbage", "slow")


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        faults: Sequence[str] = (),
        slow_s: float = 5.0,
        on_post: Callable[[int], None] | None = None,
    ) -> None:
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}")
        self.upstream = upstream
        self.faults = list(faults)
        self.slow_s = slow_s
        self.on_post = on_post
        self.posts: list[tuple[str, str]] = []  # (path, fault) of every POST
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _start(self) -> None:
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        await self._runner.cleanup()
        await self._client.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        fault = "pass"
        if request.method == "POST":
            index = len(self.posts)
            fault = self.faults[index] if index < len(self.faults) else "pass"
            self.posts.append((request.path, fault))
            if self.on_post is not None:
                self.on_post(index)
        if fault in ("500", "429"):
            return web.json_response({"error": {"message": f"injected {fault}"}}, status=int(fault))
        if fault == "slow":
            await asyncio.sleep(self.slow_s)
        try:
            async with self._client.request(
                request.method, f"{self.upstream}{request.path_qs}", data=body,
                headers={"Content-Type": request.headers.get("Content-Type", "application/json")},
            ) as reply:  # fmt: skip
                payload, status, content_type = await reply.read(), reply.status, reply.content_type
        except aiohttp.ClientError:
            return await _drop(request)
        if fault == "truncate":
            return await _truncated(request, payload)
        if fault == "garbage":
            payload = payload[: len(payload) // 2]
        return web.Response(body=payload, status=status, content_type=content_type)


async def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer (the client sees it dropped)."""
    response = web.StreamResponse()
    response.force_close()
    request.transport.close()
    return response


async def _truncated(request: web.Request, payload: bytes) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.content_length = len(payload)
    await response.prepare(request)
    await response.write(payload[: len(payload) // 2])
    request.transport.close()
    return response
