"""A small Ollama-compatible server for the tests, on 127.0.0.1, backed by llama.cpp.

It answers the documented endpoints with the documented shapes: ``/api/version``, ``/api/tags``,
``/api/show``, ``/api/ps``, ``/api/generate`` and ``/api/chat`` (streamed as one JSON object a
line, or whole with ``"stream": false``), including loading with an empty prompt, unloading with
``keep_alive: 0``, ``options`` (``num_ctx``, ``temperature``, ``seed``, ``num_predict``, ``stop``,
``top_k``, ``top_p``), durations in nanoseconds, and generated-token ``logprobs`` with
``top_logprobs`` from version 0.12.11 on. Every tag is a real GGUF file run by llama-cpp-python,
so texts, token counts, timings and log-probabilities are the model's own.

The server applies its own prompt template (reported by ``/api/show``) in chat mode and none in
raw mode, like the daemon. Streamed replies are computed first and then sent token by token, so
their first chunk does not arrive earlier than the whole reply is ready.

Faults queued with :meth:`FakeOllama.inject` replace the next generation replies: an HTTP status,
a body cut off mid-way, a non-JSON body, an error inside the stream, or a reply delayed past the
client's timeout. ``max_requests`` bounds how many requests one server answers; ``context_cap``
makes it load models with a smaller context than asked.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

TEMPLATE = "{{ if .System }}system: {{ .System }}\n{{ end }}user: {{ .Prompt }}\nassistant:"
"""The template /api/show reports; :func:`render_chat` applies the same format to messages."""
PARAMETERS = {"stop": ["user:"], "temperature": 0.7, "top_k": 30}
"""The Modelfile parameters of every tag: requests must override the sampling ones explicitly."""
FAULTS = ("status", "truncate", "garbage", "stream_error", "slow")


@dataclass
class Fault:
    kind: str
    status: int = 500
    delay_s: float = 0.0


@dataclass
class Tag:
    name: str
    path: Path
    quantization_level: str
    digest: str = ""
    weights_sha256: str = ""

    def __post_init__(self) -> None:
        self.weights_sha256 = hashlib.sha256(self.path.read_bytes()).hexdigest()
        manifest = json.dumps({"weights": self.weights_sha256, "template": TEMPLATE, "parameters": PARAMETERS})
        self.digest = hashlib.sha256(manifest.encode()).hexdigest()


@dataclass
class Loaded:
    llm: Any
    num_ctx: int
    expires_at: float


@dataclass
class FakeOllama:
    """Start with :meth:`start`, stop with :meth:`stop`; ``url`` is its base URL."""

    tags: dict[str, Tag]
    version: str = "0.12.11"
    max_requests: int = 400
    context_cap: int | None = None
    """Load every model with at most this context, whatever num_ctx asks (a daemon that drops it)."""
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    max_resident: int = 0
    url: str = ""
    _faults: deque[Fault] = field(default_factory=deque)
    _loaded: dict[str, Loaded] = field(default_factory=dict)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> FakeOllama:
        started = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, args=(started,), name="fake-ollama", daemon=True)
        self._thread.start()
        if not started.wait(30):
            raise RuntimeError("fake ollama server did not start")
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        for loaded in self._loaded.values():
            loaded.llm.close()
        self._loaded.clear()

    def inject(self, *faults: Fault) -> None:
        """Replace the next generation replies, one fault each, in order."""
        self._faults.extend(faults)

    @property
    def resident(self) -> list[str]:
        return list(self._loaded)

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/api/version", self._version)
        app.router.add_get("/api/tags", self._tags)
        app.router.add_get("/api/ps", self._ps)
        app.router.add_post("/api/show", self._show)
        app.router.add_post("/api/generate", self._generate)
        app.router.add_post("/api/chat", self._generate)
        self._runner = web.AppRunner(app)
        self._lock = asyncio.Lock()
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # the port the OS chose
        self.url = f"http://127.0.0.1:{port}"
        started.set()
        self._loop.run_forever()

    # -- model information -----------------------------------------------------------------------

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": self.version})

    async def _tags(self, request: web.Request) -> web.Response:
        return web.json_response({"models": [self._listing(tag) for tag in self.tags.values()]})

    async def _ps(self, request: web.Request) -> web.Response:
        models = [
            self._listing(self.tags[name])
            | {
                "expires_at": datetime.fromtimestamp(loaded.expires_at, UTC).isoformat(),
                "size_vram": 0,
                "context_length": loaded.num_ctx,
            }
            for name, loaded in self._loaded.items()
        ]
        return web.json_response({"models": models})

    async def _show(self, request: web.Request) -> web.Response:
        body = await request.json()
        tag = self.tags.get(body.get("model", ""))
        if tag is None:
            return web.json_response({"error": f"model '{body.get('model')}' not found"}, status=404)
        parameters = "\n".join(
            f"{name:<30} {json.dumps(value)}"
            for name, values in PARAMETERS.items()
            for value in (values if isinstance(values, list) else [values])
        )
        return web.json_response(
            {
                "modelfile": f"FROM /models/blobs/sha256-{tag.weights_sha256}\nTEMPLATE {json.dumps(TEMPLATE)}\n",
                "parameters": parameters,
                "template": TEMPLATE,
                "details": self._details(tag),
                "model_info": _model_info(tag.path),
                "capabilities": ["completion"],
                "modified_at": "2026-11-30T12:00:00Z",
            },
        )

    def _listing(self, tag: Tag) -> dict[str, Any]:
        return {
            "name": tag.name,
            "model": tag.name,
            "modified_at": "2026-11-30T12:00:00Z",
            "size": tag.path.stat().st_size,
            "digest": tag.digest,
            "details": self._details(tag),
        }

    @staticmethod
    def _details(tag: Tag) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": "llama",
            "families": ["llama"],
            "parameter_size": "3M",
            "quantization_level": tag.quantization_level,
        }

    # -- generation ------------------------------------------------------------------------------

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((request.path, body))
        if len(self.requests) > self.max_requests:
            return web.json_response({"error": "request limit of the test server reached"}, status=503)
        tag = self.tags.get(body.get("model", ""))
        if tag is None:
            return web.json_response({"error": f"model '{body.get('model')}' not found"}, status=404)
        chat = request.path == "/api/chat"
        empty = not (body.get("messages") if chat else body.get("prompt"))
        options = body.get("options") or {}
        fault = self._faults.popleft() if self._faults and not empty else None
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay_s)
        if fault is not None and fault.kind == "status":
            return web.json_response({"error": f"injected HTTP {fault.status}"}, status=fault.status)
        if fault is not None and fault.kind == "garbage":
            return web.Response(text="<html>502 Bad Gateway</html>", content_type="application/json")
        async with self._lock:
            if empty and _keep_alive_s(body.get("keep_alive")) == 0:
                self._unload(tag.name)
                return web.json_response(_final(tag.name, chat, "unload"))
            num_ctx = int(options.get("num_ctx", 2048))
            load_ns = await self._ensure_loaded(tag, min(num_ctx, self.context_cap or num_ctx))
            self._loaded[tag.name].expires_at = time.time() + max(_keep_alive_s(body.get("keep_alive")), 0)
            if empty:
                return web.json_response(_final(tag.name, chat, "load"))
            reply = await asyncio.to_thread(self._run, self._loaded[tag.name].llm, body, chat)
            if _keep_alive_s(body.get("keep_alive")) == 0:
                self._unload(tag.name)
        metrics = reply["metrics"] | {"load_duration": load_ns}
        metrics["total_duration"] += load_ns
        final = _final(tag.name, chat, reply["done_reason"]) | metrics
        logprobs = reply["logprobs"] if body.get("logprobs") and self._has_logprobs() else None
        if not body.get("stream", True):
            whole = final | _content(chat, reply["text"]) | ({"logprobs": logprobs} if logprobs is not None else {})
            if fault is not None and fault.kind == "truncate":
                return await _cut_off(request, json.dumps(whole).encode())
            return web.json_response(whole)
        return await self._stream(request, tag.name, chat, reply, final, logprobs, fault)

    async def _stream(
        self, request: web.Request, name: str, chat: bool, reply: dict, final: dict, logprobs: list | None, fault: Fault | None
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        pieces = reply["pieces"]
        for index, piece in enumerate(pieces):
            if fault is not None and index == len(pieces) // 2:
                if fault.kind == "stream_error":
                    await response.write(json.dumps({"error": "injected failure mid-stream"}).encode() + b"\n")
                    await response.write_eof()
                    return response
                if fault.kind == "truncate":
                    await response.write(b'{"model": "' + name.encode() + b'", "respon')
                    request.transport.close()
                    return response
            chunk = {"model": name, "created_at": _now(), "done": False} | _content(chat, piece)
            if logprobs is not None:
                chunk["logprobs"] = logprobs[index : index + 1] if len(pieces) == len(logprobs) else []
            await response.write(json.dumps(chunk).encode() + b"\n")
        if logprobs is not None and len(pieces) != len(logprobs):
            final = final | {"logprobs": logprobs}
        await response.write(json.dumps(final | _content(chat, "")).encode() + b"\n")
        await response.write_eof()
        return response

    def _has_logprobs(self) -> bool:
        return tuple(int(part) for part in self.version.split(".")) >= (0, 12, 11)

    async def _ensure_loaded(self, tag: Tag, num_ctx: int) -> int:
        """Load the tag unless it is loaded with this context size; nanoseconds spent loading."""
        current = self._loaded.get(tag.name)
        if current is not None and current.num_ctx == num_ctx:
            return 1_000  # the daemon reports a few microseconds for a resident model
        self._unload(tag.name)
        started = time.perf_counter_ns()
        llm = await asyncio.to_thread(_load, tag.path, num_ctx)
        self._loaded[tag.name] = Loaded(llm, num_ctx, time.time())
        self.events.append(("load", tag.name))
        self.max_resident = max(self.max_resident, len(self._loaded))
        return time.perf_counter_ns() - started

    def _unload(self, name: str) -> None:
        loaded = self._loaded.pop(name, None)
        if loaded is not None:
            loaded.llm.close()
            self.events.append(("unload", name))

    @staticmethod
    def _run(llm: Any, body: dict[str, Any], chat: bool) -> dict[str, Any]:
        """One generation: text, per-token pieces, metrics and logprob entries."""
        options = {**PARAMETERS, **(body.get("options") or {})}
        if chat:
            prompt = render_chat(body["messages"])
        elif body.get("raw"):
            prompt = body["prompt"]
        else:
            system = [{"role": "system", "content": body["system"]}] if body.get("system") else []
            prompt = render_chat([*system, {"role": "user", "content": body["prompt"]}])
        return generate(llm, prompt, options, int(body.get("top_logprobs") or 0))


def render_chat(messages: list[dict[str, Any]]) -> str:
    """Messages in the format of :data:`TEMPLATE`, ending with the assistant's turn."""
    return "".join(f"{message['role']}: {message['content']}\n" for message in messages) + "assistant:"


def generate(llm: Any, prompt: str, options: dict[str, Any], k: int) -> dict[str, Any]:
    """Sample token by token as the daemon does: ``num_predict`` counts tokens, a stop sequence
    ends the text before it, and each token's log-probability comes from the logits kept for it.

    llama-cpp-python's own completion call is not used: it does not count a token that ends
    inside a multi-byte character against its limit, which Ollama does.
    """
    import llama_cpp
    import numpy as np

    tokens = llm.tokenize(prompt.encode(), add_bos=True, special=True)
    stops = [stop for stop in options.get("stop") or [] if stop]
    limit = int(options.get("num_predict", 128))
    llm.reset()
    llm.set_seed(int(options.get("seed", 0)))
    llama_cpp.llama_perf_context_reset(llm.ctx)
    generated: list[int] = []
    pieces: list[str] = []
    text, reason = "", "length"
    sampler = llm.generate(
        tokens,
        temp=float(options["temperature"]),
        top_k=int(options["top_k"]),
        top_p=float(options.get("top_p", 0.9)),
        repeat_penalty=1.0,
        reset=True,
    )
    for token in sampler:
        if token == llm.token_eos():
            reason = "stop"
            break
        generated.append(token)
        now = llm.detokenize(generated).decode("utf-8", errors="ignore")
        cut = min((now.index(stop) for stop in stops if stop in now), default=None)
        if cut is not None:
            now, reason = now[:cut], "stop"
        pieces.append(now.removeprefix(text))
        text = now
        if cut is not None or len(generated) == limit:
            break
    perf = llama_cpp.llama_perf_context(llm.ctx)
    rows = np.asarray(llm.scores[len(tokens) - 1 : len(tokens) - 1 + len(generated)], dtype=np.float64)
    logprobs = []
    for token, row in zip(generated, rows, strict=True):
        row = row - np.logaddexp.reduce(row)
        best = np.argsort(-row)[:k]
        logprobs.append(
            {
                "token": _token_text(llm, token),
                "logprob": float(row[token]),
                "bytes": list(llm.detokenize([token])),
                "top_logprobs": [
                    {"token": _token_text(llm, int(t)), "logprob": float(row[t]), "bytes": list(llm.detokenize([int(t)]))}
                    for t in best
                ],
            }
        )
    if "".join(pieces) != text:  # a piece decoded differently alone: send the text as one piece
        pieces = [text]
    return {
        "text": text,
        "pieces": pieces,
        "logprobs": logprobs,
        "done_reason": reason,
        "metrics": {
            "total_duration": int((perf.t_p_eval_ms + perf.t_eval_ms) * 1e6),
            "prompt_eval_count": len(tokens),
            "prompt_eval_duration": int(perf.t_p_eval_ms * 1e6),
            "eval_count": len(generated),
            "eval_duration": int(perf.t_eval_ms * 1e6),
        },
    }


def _token_text(llm: Any, token: int) -> str:
    return llm.detokenize([token]).decode("utf-8", errors="ignore")


def _load(path: Path, num_ctx: int) -> Any:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=num_ctx, n_threads=1, logits_all=True, verbose=False)
    # One full batch with every row's logits, once: otherwise llama.cpp grows its logits buffer
    # inside the first long prompt pass, which then goes missing from its timing counters.
    llm.eval([0] * llm.n_batch)
    llm.reset()
    return llm


def _model_info(path: Path) -> dict[str, Any]:
    """The GGUF's architecture keys, as /api/show lists them (large arrays left out)."""
    import gguf

    reader = gguf.GGUFReader(path)
    info: dict[str, Any] = {}
    for name, item in reader.fields.items():
        if name.startswith(("tokenizer.", "GGUF.")):
            continue
        value = item.contents()
        if isinstance(value, (int, float, str)):
            info[name] = value
    info["general.parameter_count"] = int(sum(tensor.n_elements for tensor in reader.tensors))
    return info


def _keep_alive_s(value: Any) -> float:
    """Seconds of a keep_alive value (a number of seconds or a duration such as "5m"); 300 when absent."""
    if value is None:
        return 300.0
    if isinstance(value, (int, float)):
        return float(value)
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in sorted(units, key=len, reverse=True):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * units[unit]
    return float(value)


def _final(name: str, chat: bool, reason: str) -> dict[str, Any]:
    return {"model": name, "created_at": _now(), "done": True, "done_reason": reason} | _content(chat, "")


def _content(chat: bool, text: str) -> dict[str, Any]:
    return {"message": {"role": "assistant", "content": text}} if chat else {"response": text}


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def _cut_off(request: web.Request, body: bytes) -> web.StreamResponse:
    """Announce the whole body, send half of it and drop the connection."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    request.transport.close()
    return response
