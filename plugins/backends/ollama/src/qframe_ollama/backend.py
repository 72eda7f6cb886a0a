"""Backend ``ollama``: one tag of an Ollama daemon, driven with the official ``ollama`` client.

Only the plugin's factory imports this module, so the client loads when a backend is built.
Opening a variant reads the tag's identity (``/api/tags``, ``/api/show``), loads the model with
the context size the requests will use (so no request reloads it) and reads back from
``/api/ps`` what the daemon loaded; closing unloads it (``keep_alive = 0``), so a sequential
ladder holds one model at a time. Each request sends ``num_ctx``, ``temperature``, ``seed``,
``num_predict``, ``stop``, ``top_k`` and ``top_p`` explicitly; see :mod:`.replies` for timings.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import attrs
import httpx
import ollama

from qframe.plugin_api.errors import BackendError, MissingCapabilityError, QframeError
from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, GenerationResult, ModelInfo, Requirements

from .failures import missing_model, translated
from .identity import find_tag, full_tag, model_info, parse_parameters
from .replies import read_reply, to_result
from .settings import LOGPROBS_SINCE, MAX_TOP_LOGPROBS, parse_settings

LOGLIKELIHOOD_UNSUPPORTED = (
    "backend 'ollama' cannot score a given text (its API returns log-probabilities of generated tokens "
    "only), so loglikelihood multiple choice is impossible; set the task's mode = \"generate\" and read "
    "the answers with accuracy_rescored"
)


def logprobs_supported(version: str | None) -> bool:
    """Whether a daemon of this version returns generated-token logprobs (0.12.11 and later).

    A version that does not parse, or a development build's 0.0.0, is assumed to; a reply that
    then lacks them is an error, never a silent omission.
    """
    try:
        release = tuple(int(part) for part in (version or "").split("-")[0].split(".")[:3])
    except ValueError:
        return True
    return len(release) < 3 or release == (0, 0, 0) or release >= LOGPROBS_SINCE


class OllamaBackend:
    """See the module docstring. One call at a time by default: the daemon's own parallelism
    (``OLLAMA_NUM_PARALLEL``) would share the model between requests and blur their timings."""

    default_concurrency = 1

    def __init__(self, spec: BackendSpec) -> None:
        self.spec = spec
        self.tag = full_tag(spec.model)
        self.settings = parse_settings(spec.options, os.environ)
        self._client: Any = None
        self._model_stops: tuple[str, ...] = ()
        self._server_version: str | None = None
        self._loaded = False

    # -- checks before a run -------------------------------------------------------------------

    async def preflight(self, requirements: Requirements) -> None:
        """Refuse what Ollama cannot do, and a tag the daemon does not have; loads nothing."""
        if "loglikelihood" in requirements.modes:
            raise MissingCapabilityError(LOGLIKELIHOOD_UNSUPPORTED)
        _check_top_logprobs(requirements.top_logprobs)
        client = self._new_client()
        try:
            async with translated(self.tag, self.settings.host):
                listed = (await client.list()).models
        finally:
            await client.close()
        if find_tag(self.tag, listed) is None:
            raise missing_model(self.tag, self.settings.host)

    # -- the Backend protocol ------------------------------------------------------------------

    async def open(self) -> ModelInfo:
        self._client = self._client or self._new_client()
        try:
            return await self._open()
        except BaseException:
            await self.close()  # unload what was loaded and release the connections
            raise

    async def _open(self) -> ModelInfo:
        client = self._client
        async with translated(self.tag, self.settings.host):
            self._server_version = await self._version()
            listed = find_tag(self.tag, (await client.list()).models)
            if listed is None:
                raise missing_model(self.tag, self.settings.host)
            shown = await client.show(self.tag)
            parameters = parse_parameters(shown.parameters)
            self._model_stops = tuple(str(stop) for stop in parameters.get("stop", ()))
            load_ms, load = await self._load()
            resident = await self._resident()
        info = model_info(self.tag, self.spec.quant, listed, shown, self._server_version, parameters)
        loaded_context = getattr(resident, "context_length", None)
        if loaded_context is not None and loaded_context < self.settings.num_ctx:
            raise BackendError(
                f"ollama loaded {self.tag} with a {loaded_context}-token context, not the {self.settings.num_ctx} asked "
                "(options.num_ctx)"
            )
        return attrs.evolve(
            info,
            details={
                **info.details,
                "host": self.settings.host,
                "load_ms": load_ms,
                "server_load_ms": load.load_duration / 1e6 if load.load_duration else None,
                "loaded_context_length": loaded_context,
                "size_vram": getattr(resident, "size_vram", None),
                "logprobs_supported": logprobs_supported(self._server_version),
                "loglikelihood_supported": False,
            },
        )

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        if self._client is None:
            raise BackendError("ollama backend used before open()")
        _check_top_logprobs(request.top_logprobs)
        options = self._options(request)
        with_logprobs = request.top_logprobs > 0 and logprobs_supported(self._server_version)
        call: dict[str, Any] = {
            "model": self.tag,
            "options": options,
            "keep_alive": self.settings.keep_alive,
            "stream": self.settings.stream,
        }
        if with_logprobs:
            call |= {"logprobs": True, "top_logprobs": request.top_logprobs}
        applied = {
            **options,
            "keep_alive": self.settings.keep_alive,
            "stream": self.settings.stream,
            "endpoint": "/api/chat" if request.chat else "/api/generate",
            "template": "the tag's template" if request.chat else "none (raw prompt)",
            "top_logprobs": request.top_logprobs if with_logprobs else 0,
        }
        if request.top_logprobs and not with_logprobs:
            applied["logprobs_missing"] = f"ollama {self._server_version} returns no logprobs (needs 0.12.11+)"
        started = time.perf_counter()
        async with translated(self.tag, self.settings.host):
            if request.chat:
                reply = await self._client.chat(messages=_messages(request), **call)
            else:
                prompt = f"{request.system}\n\n{request.prompt}" if request.system else request.prompt
                reply = await self._client.generate(prompt=prompt, raw=True, **call)
            collected = await read_reply(reply, self.settings.stream, started)
        return to_result(collected, self.settings.stream, applied["top_logprobs"], applied)

    async def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        raise MissingCapabilityError(LOGLIKELIHOOD_UNSUPPORTED)

    async def close(self) -> None:
        """Unload the tag (unless ``unload = false``) and close the connection pool."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if self._loaded and self.settings.unload:
                async with translated(self.tag, self.settings.host):
                    await client.generate(model=self.tag, keep_alive=0)
        except QframeError:
            pass  # unloading is best effort: the daemon unloads the tag itself when keep_alive ends
        finally:
            self._loaded = False
            await client.close()

    # -- internals -----------------------------------------------------------------------------

    def _new_client(self) -> Any:
        return ollama.AsyncClient(host=self.settings.host, timeout=self.settings.timeout_s)

    async def _version(self) -> str | None:
        # The client has no call for /api/version; httpx is the library it is built on.
        async with httpx.AsyncClient(base_url=self.settings.host, timeout=self.settings.timeout_s) as http:
            response = await http.get("/api/version")
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ollama.ResponseError(response.text, response.status_code)
        return str(response.json().get("version") or "") or None

    async def _load(self) -> tuple[float, Any]:
        """Load the tag with the requests' context size; wall milliseconds and the reply."""
        started = time.perf_counter()
        reply = await self._client.generate(
            model=self.tag, keep_alive=self.settings.keep_alive, options={"num_ctx": self.settings.num_ctx}
        )
        self._loaded = True
        return (time.perf_counter() - started) * 1000, reply

    async def _resident(self) -> Any | None:
        """The tag's ``/api/ps`` entry after loading (what the daemon really loaded), or None."""
        running = (await self._client.ps()).models
        return next((model for model in running if full_tag(model.model or model.name or "") == self.tag), None)

    def _options(self, request: GenerationRequest) -> dict[str, Any]:
        """Every sampling option, explicitly; stop sequences add to the tag's own (its end-of-turn
        markers), which an explicit list would otherwise replace."""
        stops = list(dict.fromkeys([*self._model_stops, *request.stop]))
        options: dict[str, Any] = {
            "num_ctx": self.settings.num_ctx,
            "temperature": request.temperature,
            "seed": request.seed,
            "num_predict": request.max_tokens,
            "top_k": self.settings.top_k,
            "top_p": self.settings.top_p,
        }
        if stops:
            options["stop"] = stops
        return options


def _messages(request: GenerationRequest) -> list[dict[str, str]]:
    system = [{"role": "system", "content": request.system}] if request.system else []
    return [*system, {"role": "user", "content": request.prompt}]


def _check_top_logprobs(k: int) -> None:
    if k > MAX_TOP_LOGPROBS:
        raise MissingCapabilityError(
            f"backend 'ollama' returns at most {MAX_TOP_LOGPROBS} log-probabilities per token; "
            f"set experiment.top_logprobs <= {MAX_TOP_LOGPROBS} (asked {k})"
        )
