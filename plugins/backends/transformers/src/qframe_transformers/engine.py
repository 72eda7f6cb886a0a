"""A synchronous engine over one model loaded by Hugging Face transformers.

Generation goes through ``model.generate`` with a streamer that clocks the first generated token
(time to first token) and, when asked, the raw logits of every step for top-k log-probabilities.
Loglikelihood is teacher-forced: the context's key/value cache is computed once per call and each
continuation is scored by one forward pass over its tokens from that cache.

Tokenization of continuations follows the same rule as the llama.cpp backend, so both engines
score the same token sequences: a continuation's tokens are those of ``context + continuation``
after the longest prefix it shares with the context's own tokens (a leading space is tokenized
as in running text). Texts are encoded with the tokenizer's special tokens (BOS where the model
adds one); an empty context on a model that adds no BOS is conditioned on its BOS token.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import attrs

from qframe.plugin_api.errors import BadInputError, first_line
from qframe.data.model_shape import shape_from_hf_config

from .checkpoint import Checkpoint

SAMPLING_OPTIONS: dict[str, float] = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "repetition_penalty": 1.0}
"""Sampler settings at temperature > 0, those of the llama.cpp backend so both sample alike; at
temperature 0 decoding is greedy."""


@attrs.frozen
class EngineGeneration:
    """One generation. ``ttft_ms`` runs from the call to the first generated token (prompt pass
    plus the first sampling); ``eval_ms`` covers the ``eval_tokens`` decode steps after it."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    ttft_ms: float
    eval_ms: float
    eval_tokens: int
    top_logprobs: list[dict[str, float]] | None = None


def _first_token_clock() -> Any:
    from transformers.generation.streamers import BaseStreamer

    class FirstTokenClock(BaseStreamer):
        """Records when ``generate`` hands over its first generated token (its first ``put`` is
        the prompt)."""

        def __init__(self) -> None:
            self.puts = 0
            self.first_token_at: float | None = None

        def put(self, value: Any) -> None:
            self.puts += 1
            if self.puts == 2:
                self.first_token_at = time.perf_counter()

        def end(self) -> None:
            pass

    return FirstTokenClock()


class TransformersEngine:
    """One loaded model and its tokenizer. Not thread-safe: one call at a time."""

    def __init__(
        self, checkpoint: Checkpoint, device: str = "cpu", dtype: str = "float32", n_threads: int | None = None
    ) -> None:
        import torch

        from .convert import load_dense

        if n_threads:
            torch.set_num_threads(int(n_threads))
        try:
            self.model, self.tokenizer = load_dense(checkpoint, dtype if dtype == "auto" else getattr(torch, dtype))
        except (OSError, ValueError, KeyError) as exc:
            raise BadInputError(
                f"{checkpoint.folder}: transformers cannot load the model ({first_line(exc)})"
            ) from None
        self.model.to(device).eval()
        self.device = device
        self.checkpoint = checkpoint
        self._stop_cache: dict[tuple[str, ...], Any] = {}
        self._first_forward()

    def _first_forward(self) -> None:
        """One forward pass over one token at load time: compressed-tensors checkpoints
        decompress their weights on the first forward pass (a pre-forward hook), which would
        otherwise land in the first call and its timings."""
        import torch

        token = next((t for t in (self.tokenizer.bos_token_id, self.tokenizer.eos_token_id) if t is not None), 0)
        with torch.inference_mode():
            self.model(torch.tensor([[token]], device=self.device))

    # ---------------------------------------------------------------- facts

    def describe(self) -> dict[str, Any]:
        """Engine facts for the manifest: versions, device, dtype, how the weights are held."""
        import torch
        import transformers

        compressed = any(type(module).__name__ == "CompressedLinear" for module in self.model.modules())
        quantization = self.checkpoint.quantization_config
        details: dict[str, Any] = {
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "device": str(self.device),
            "dtype": str(self.model.dtype).removeprefix("torch."),
            "architecture": self.model.config.model_type,
            "loader": "gguf" if self.checkpoint.gguf_file else "safetensors",
            "quantization_config": quantization,
        } | shape_from_hf_config(self.model.config.to_dict())
        if self.checkpoint.gguf_file:
            details["weights_decompressed"] = True
            details["kernel_note"] = (
                "GGUF weights dequantized to dense layers: speed and memory are not a GGUF kernel's"
            )
        elif quantization:
            details["weights_decompressed"] = not compressed
            if not compressed:
                method = quantization.get("quant_method", "quantized")
                details["kernel_note"] = (
                    f"{method} weights decompressed into dense layers: quality is the checkpoint's, "
                    "speed and memory are not a quantized kernel's"
                )
        return details

    # ---------------------------------------------------------------- generation

    def render(self, prompt: str, system: str | None, chat: bool) -> str:
        """The exact text the model sees: the chat template's rendering, or the plain prompt."""
        if not chat:
            return f"{system}\n\n{prompt}" if system else prompt
        if not self.tokenizer.chat_template:
            raise BadInputError(f"{self.checkpoint.folder}: the model has no chat template; use chat = false")
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def generate(
        self,
        prompt: str,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int = 42,
        system: str | None = None,
        stop: Sequence[str] = (),
        top_logprobs: int = 0,
        chat: bool = True,
    ) -> EngineGeneration:
        import copy

        import torch

        text = self.render(prompt, system, chat)
        # A chat template writes its own special tokens; plain text gets the tokenizer's (BOS).
        inputs = self.tokenizer(text, return_tensors="pt", add_special_tokens=not chat).to(self.device)
        config = copy.deepcopy(self.model.generation_config)
        # The model's own generation defaults (sampling filters, penalties) are replaced, not mixed in.
        greedy = {"top_k": None, "top_p": None, "min_p": None, "repetition_penalty": 1.0}
        sampling = greedy | (SAMPLING_OPTIONS if temperature > 0 else {})
        config.update(
            max_new_tokens=max_tokens,
            do_sample=temperature > 0,
            temperature=temperature if temperature > 0 else None,
            output_logits=bool(top_logprobs),
            return_dict_in_generate=True,
            **sampling,
        )
        if config.pad_token_id is None:
            config.pad_token_id = (
                config.eos_token_id if not isinstance(config.eos_token_id, list) else config.eos_token_id[0]
            )
        clock = _first_token_clock()
        torch.manual_seed(seed)
        started = time.perf_counter()
        with torch.inference_mode():
            output = self.model.generate(
                **inputs, generation_config=config, streamer=clock, stopping_criteria=self._stop_criteria(tuple(stop))
            )
        ended = time.perf_counter()
        prompt_tokens = int(inputs["input_ids"].shape[1])
        generated = output.sequences[0, prompt_tokens:].tolist()
        completion = self.tokenizer.decode(generated, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        first = clock.first_token_at or ended
        return EngineGeneration(
            text=_cut_at_stop(completion, stop),
            prompt_tokens=prompt_tokens,
            completion_tokens=len(generated),
            finish_reason=self._finish_reason(generated, max_tokens, completion, stop),
            ttft_ms=(first - started) * 1000,
            eval_ms=(ended - first) * 1000,
            eval_tokens=max(len(generated) - 1, 0),
            top_logprobs=self._top_logprobs(output.logits, top_logprobs) if top_logprobs else None,
        )

    def _stop_criteria(self, stop: tuple[str, ...]) -> Any:
        """transformers' stop-string criterion for ``stop``, built once per set of strings (building
        it scans the whole vocabulary, most of a second for a 49k-token vocabulary on a CPU)."""
        from transformers import StoppingCriteriaList, StopStringCriteria

        if stop not in self._stop_cache:
            self._stop_cache[stop] = StoppingCriteriaList([StopStringCriteria(self.tokenizer, list(stop))] if stop else [])
        return self._stop_cache[stop]

    def _finish_reason(self, generated: list[int], max_tokens: int, text: str, stop: Sequence[str]) -> str:
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos])
        if generated and generated[-1] in eos_ids or any(s in text for s in stop):
            return "stop"
        return "length" if len(generated) >= max_tokens else "stop"

    def _top_logprobs(self, logits: Sequence[Any], k: int) -> list[dict[str, float]]:
        import torch

        positions = []
        for step in logits:
            logprobs = torch.log_softmax(step[0].float(), dim=-1)
            # Extra candidates so that k distinct texts remain when two tokens render alike
            # (the more likely, seen first, is kept).
            values, ids = torch.topk(logprobs, min(2 * k + 8, logprobs.numel()))
            entries: dict[str, float] = {}
            for value, token in zip(values.tolist(), ids.tolist(), strict=True):
                if len(entries) == k:
                    break
                entries.setdefault(self.tokenizer.decode([token], clean_up_tokenization_spaces=False), float(value))
            positions.append(entries)
        return positions

    # ---------------------------------------------------------------- scoring

    def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        """Sum of each continuation's token log-probabilities after ``context`` (0.0 when empty)."""
        import torch

        context_ids = self._encode(context)
        prefix: list[int] = []
        if not context_ids:
            prefix = context_ids = [self._bos_token()]
        joints = [prefix + self._encode(context + continuation) for continuation in continuations]
        shared = [_common_prefix_length(context_ids, joint) for joint in joints]
        for continuation, count, joint in zip(continuations, shared, joints, strict=True):
            if count == 0 and len(joint) > 0:
                raise BadInputError(f"continuation {continuation!r} merges with the first context token")
        scored = [count < len(joint) for count, joint in zip(shared, joints, strict=True)]
        if not any(scored):
            return [0.0] * len(continuations)
        # The cache holds the context tokens every continuation shares, computed once.
        keep = min(count for count, wanted in zip(shared, scored, strict=True) if wanted) - 1
        results = []
        with torch.inference_mode():
            cache = self._prefix_cache(context_ids[:keep])
            for joint, count, wanted in zip(joints, shared, scored, strict=True):
                if not wanted:
                    results.append(0.0)
                    continue
                tokens = torch.tensor([joint[keep:-1]], device=self.device)
                if cache is not None and cache.get_seq_length() > keep:
                    cache.crop(keep - cache.get_seq_length())  # drop the previous continuation's tokens
                logits = self.model(input_ids=tokens, past_key_values=cache, use_cache=cache is not None).logits[0]
                rows = torch.log_softmax(logits[count - 1 - keep :].float(), dim=-1)
                targets = torch.tensor(joint[count:], device=self.device)
                results.append(float(rows[torch.arange(len(targets)), targets].sum()))
        return results

    def teacher_force(
        self, prompt: str, system: str | None, chat: bool, continuation: str | Sequence[int], append_end: bool
    ) -> tuple[list[int], Any]:
        """Teacher-forced token ids and full log-softmax rows (float64) of a continuation after a prompt.

        The prompt is rendered and tokenized as :meth:`generate` does. A text continuation's tokens
        are those of prompt + continuation after the prefix they share with the prompt's own (the
        rule of :meth:`loglikelihood`); token ids are scored exactly as given. With
        ``append_end`` the most likely of the model's end-of-generation tokens after the last
        token is scored too, last. Row ``i`` is the distribution before scored token ``i``.
        """
        import torch

        text = self.render(prompt, system, chat)
        prompt_ids = self._encode(text, special=not chat) or [self._bos_token()]
        if isinstance(continuation, str):
            joint = self._encode(text + continuation, special=not chat)
            shared = _common_prefix_length(prompt_ids, joint)
            if shared == 0 and joint:
                raise ValueError(f"continuation {continuation!r} merges with the first prompt token")
            prefix, scored = joint[:shared], joint[shared:]
        else:
            vocab = self.model.get_output_embeddings().out_features
            if any(not 0 <= token < vocab for token in continuation):
                raise ValueError(f"a token id is outside the vocabulary of {vocab}")
            prefix, scored = prompt_ids, [int(token) for token in continuation]
        end_ids = self._end_ids() if append_end else []
        fed = scored if end_ids else scored[:-1]
        with torch.inference_mode():
            logits = self.model(input_ids=torch.tensor([prefix + fed], device=self.device)).logits[0]
        rows = torch.log_softmax(logits[len(prefix) - 1 :].double(), dim=-1).cpu().numpy()
        if not scored and not end_ids:
            return [], rows[:0]
        if end_ids:
            scored = scored + [max(end_ids, key=lambda token: rows[-1, token])]
        return scored, rows

    def _end_ids(self) -> list[int]:
        """The model's end-of-generation token ids (its generation config's, else the tokenizer's EOS)."""
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        ids = eos if isinstance(eos, list) else [eos]
        return [int(token) for token in ids if token is not None]

    def _prefix_cache(self, prefix: list[int]) -> Any:
        """The key/value cache after ``prefix`` (None for an empty prefix)."""
        if not prefix:
            return None
        import torch
        from transformers import DynamicCache

        cache = DynamicCache(config=self.model.config)
        self.model(input_ids=torch.tensor([prefix], device=self.device), past_key_values=cache, use_cache=True)
        return cache

    def _encode(self, text: str, special: bool = True) -> list[int]:
        """Token ids of ``text``; ``special`` adds the tokenizer's own (BOS), as for plain text."""
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def _bos_token(self) -> int:
        bos = self.tokenizer.bos_token_id
        if bos is None:
            raise BadInputError("an empty context needs a BOS token, and this model has none")
        return bos

    def close(self) -> None:
        self.model = None
        self.tokenizer = None


def _common_prefix_length(first: Sequence[int], second: Sequence[int]) -> int:
    count = 0
    for a, b in zip(first, second):
        if a != b:
            break
        count += 1
    return count


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """The text before the first stop string (transformers keeps the stop string itself)."""
    cut = min((text.find(s) for s in stop if s and s in text), default=-1)
    return text[:cut] if cut >= 0 else text


