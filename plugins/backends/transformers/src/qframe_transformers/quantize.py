"""AWQ and GPTQ checkpoints made with llm-compressor from an HF checkpoint or a GGUF file.

The output is a compressed-tensors folder (weights, tokenizer, config) plus
``qframe-quantize.json``: the source and its digest, the method and its parameters, the frozen
calibration spec (see :mod:`.calibration`), the library versions, the time taken, and the
nominal and effective bits per weight counted from the written tensors (see :mod:`.checkpoint`).
What the libraries print while quantizing goes to ``quantize.log`` in the same folder.

Weights are quantized per group along each Linear layer's input width, so the group size must
divide every such width (SmolLM2's 576 takes 64 or 32, not 128); an impossible one is refused
with the sizes that fit. ``lm_head`` stays unquantized, as is usual for both methods.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qframe.plugin_api.errors import BadInputError

from .calibration import CalibrationSpec
from .checkpoint import digest, locate, weight_stats
from .convert import hf_folder_from_gguf, load_dense
from .library_output import library_output_to

METHODS = ("gptq", "awq")
RECORD_NAME = "qframe-quantize.json"
LIBRARY_LOG = "quantize.log"
"""What llm-compressor, transformers and PyTorch printed while quantizing, kept beside the weights."""
CANDIDATE_GROUP_SIZES = (32, 64, 128, 256)
IGNORED_LAYERS = ("lm_head",)


def fitting_group_sizes(widths: Iterable[int]) -> list[int]:
    """The usual group sizes that divide every width."""
    widths = set(widths)
    return [size for size in CANDIDATE_GROUP_SIZES if all(width % size == 0 for width in widths)]


def linear_input_widths(model: Any) -> set[int]:
    """Input widths of the Linear layers that will be quantized."""
    import torch

    return {
        module.in_features
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and name.split(".")[-1] not in IGNORED_LAYERS
    }


def check_group_size(widths: Iterable[int], group_size: int) -> None:
    widths = sorted(set(widths))
    bad = [width for width in widths if width % group_size]
    if bad:
        fitting = fitting_group_sizes(widths)
        choices = ", ".join(map(str, fitting)) if fitting else "none of " + ", ".join(map(str, CANDIDATE_GROUP_SIZES))
        raise BadInputError(
            f"group size {group_size} does not divide layer width(s) {', '.join(map(str, bad))}; sizes that fit: {choices}"
        )


def calibration_shortfall(method: str, tokens: int, widest_input: int) -> str | None:
    """Why a GPTQ calibration is too small to trust, or None.

    GPTQ solves each layer against the Hessian of its inputs, estimated from the calibration
    tokens; with fewer tokens than the layer's input width that estimate is rank-deficient and
    the dampening term decides the result (on SmolLM2-135M: 639 built-in tokens give a mean KL
    of 0.36 nats on held-out text against 0.26 with 4,227 tokens; bench/gptq_calibration.py).
    """
    if method != "gptq" or tokens >= widest_input:
        return None
    return (
        f"{tokens} calibration tokens, fewer than the widest layer's {widest_input} inputs: GPTQ's "
        "Hessian estimate is rank-deficient; pass --calibration FILE with several thousand tokens of text"
    )


def recipe(method: str, bits: int, group_size: int) -> Any:
    """The llm-compressor recipe: GPTQ with symmetric groups; AWQ smoothing followed by
    round-to-nearest asymmetric groups (zero points)."""
    from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme

    weights = QuantizationArgs(
        num_bits=bits, type="int", symmetric=method == "gptq", strategy="group", group_size=group_size
    )
    groups = {"group_0": QuantizationScheme(targets=["Linear"], weights=weights)}
    if method == "gptq":
        from llmcompressor.modifiers.quantization import GPTQModifier

        return GPTQModifier(config_groups=groups, ignore=list(IGNORED_LAYERS))
    from llmcompressor.modifiers.quantization import QuantizationModifier
    from llmcompressor.modifiers.transform.awq import AWQModifier

    return [AWQModifier(), QuantizationModifier(config_groups=groups, ignore=list(IGNORED_LAYERS))]


def calibration_threads() -> int:
    """Threads calibration runs on: every core, whatever an earlier caller set. GPTQ's rounding
    decisions depend on the order of its floating-point sums, so a checkpoint built after
    something set ``torch.set_num_threads(1)`` would differ from one built in a fresh process."""
    return os.cpu_count() or 1


@contextmanager
def reproducible_torch(threads: int, seed: int) -> Iterator[None]:
    """Run the block on ``threads`` threads with torch's global generator seeded with ``seed``
    (llm-compressor draws its calibration batches from it), then restore the caller's state, so
    the same spec gives the same checkpoint whatever ran before in the process."""
    import torch

    previous = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.set_num_threads(threads)
        try:
            yield
        finally:
            torch.set_num_threads(previous)


def quantize_checkpoint(
    source: str | Path,
    method: str,
    bits: int,
    group_size: int,
    out_dir: str | Path,
    calibration: CalibrationSpec,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Quantize ``source`` into ``out_dir`` and return the record written beside the weights."""
    if method not in METHODS:
        raise BadInputError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    if bits not in (2, 3, 4, 8):
        raise BadInputError(f"bits must be 2, 3, 4 or 8, not {bits}")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BadInputError(f"{out_dir}: output folder exists and is not empty")
    checkpoint = locate(source)
    started = time.perf_counter()
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    library_log = partial / LIBRARY_LOG
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".qframe-quantize-") as scratch:
        log(f"quantize: loading {source} (library output goes to {out_dir / LIBRARY_LOG})")
        with library_output_to(library_log):
            # llm-compressor reads the model's config.json from disk: a GGUF source becomes a
            # dense HF folder first.
            dense = (
                checkpoint if not checkpoint.gguf_file else locate(hf_folder_from_gguf(source, Path(scratch) / "dense"))
            )
            model, tokenizer = load_dense(dense)
        widths = linear_input_widths(model)
        check_group_size(widths, group_size)
        ids, calibration_record = calibration.tokenize(tokenizer)
        log(
            f"quantize: {method} {bits}-bit, group size {group_size}, {len(ids)} calibration samples "
            f"of up to {calibration.sequence_length} tokens"
        )
        shortfall = calibration_shortfall(method, calibration_record["tokens"], max(widths))
        if shortfall:
            calibration_record["warning"] = shortfall
            log(f"quantize: warning: {shortfall}")
        calibration_record["threads"] = calibration_threads()
        reproducible = reproducible_torch(calibration_record["threads"], calibration.seed)
        with library_output_to(library_log), reproducible:
            _run_oneshot(model, tokenizer, recipe(method, bits, group_size), ids, calibration.sequence_length)
            model.save_pretrained(partial, save_compressed=True)
            tokenizer.save_pretrained(partial)
    stats = weight_stats(locate(partial))
    record = {
        "source": str(source),
        "source_sha256": digest(checkpoint),
        "method": method,
        "bits": bits,
        "group_size": group_size,
        "symmetric": method == "gptq",
        "ignored_layers": list(IGNORED_LAYERS),
        "calibration": calibration_record,
        "nominal_bits_per_weight": bits,
        "effective_bits_per_weight": stats.quantized_bits_per_weight,
        "model_bits_per_weight": stats.bits_per_weight,
        "quantized_parameters": stats.quantized_parameters,
        "parameters": stats.parameters,
        "size_bytes": stats.size_bytes,
        "seconds": round(time.perf_counter() - started, 1),
        "library_log": LIBRARY_LOG,
        "versions": _versions(),
    }
    (partial / RECORD_NAME).write_text(json.dumps(record, indent=2) + "\n")
    if out_dir.exists():
        out_dir.rmdir()
    partial.rename(out_dir)
    return record


def _run_oneshot(model: Any, tokenizer: Any, modifier: Any, ids: list[list[int]], sequence_length: int) -> None:
    from datasets import Dataset
    from llmcompressor import oneshot

    dataset = Dataset.from_dict({"input_ids": ids, "attention_mask": [[1] * len(row) for row in ids]})
    with _without_pinned_memory():
        oneshot(
            model=model,
            processor=tokenizer,
            dataset=dataset,
            recipe=modifier,
            max_seq_length=sequence_length,
            num_calibration_samples=len(ids),
        )


def _without_pinned_memory() -> Any:
    """On a machine without an accelerator, skip llm-compressor's pinning of cached activations.

    AWQ pins its cached activations for faster host-to-device copies; with no device to copy to,
    PyTorch refuses to pin ("Cannot access accelerator device"), so the step is a no-op here.
    """
    import contextlib
    from unittest import mock

    import torch

    if torch.accelerator.is_available():
        return contextlib.nullcontext()
    from llmcompressor.pipelines.cache import IntermediatesCache

    return mock.patch.object(IntermediatesCache, "pin_memory", lambda self, *args, **kwargs: None)


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("llmcompressor", "compressed-tensors", "transformers", "torch")}
