"""Build a quant ladder from one GGUF: a full-width baseline plus one file per requested quant.

Outputs are named ``<stem>-<QUANT>.gguf`` and each gets a JSON sidecar recording the SHA-256 of
the file it was made from, the quant label and its own SHA-256. A later build reuses an output
only when the sidecar names the same source digest and label and the file still hashes to the
recorded digest, so a changed source or a damaged output is rebuilt, never trusted.

What was written is read back from each file; the label alone is never trusted. A *fallback*
is a weight matrix (a tensor of two or more dimensions) stored in a quantized type that the
requested mix does not assign on purpose (see :data:`qframe_llamacpp.quantize.MIX_TYPES`):
typically a K-quant row width that is not a multiple of 256, which llama.cpp stores in an older
32-wide type instead. Matrices left in F32/F16/BF16 are not fallbacks; they are visible in the
tensor-type histogram.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from .atomic import atomic_output
from .dequantize import dequantize_to_f16
from .gguf_info import GgufInfo, inspect_gguf, weights_sha256
from .native_log import native_log_to
from .quantize import MIX_TYPES, check_quant_label, quantize

BASELINE_FROM_QUANTIZED = "F16"
NATIVE_LOG = "llama.cpp.log"
"""File in the ladder folder that receives llama.cpp's quantizer log."""


@attrs.frozen
class LadderEntry:
    """One rung of a ladder, described from the file actually written."""

    quant: str
    path: Path
    tensor_types: dict[str, int]
    fallback_tensors: tuple[str, ...]
    bits_per_weight: float
    size_bytes: int
    sha256: str
    is_baseline: bool
    reused: bool
    expanded_from: str | None = None
    """For a baseline expanded from a quantized source: the source's type (``Q4_1``)."""
    identical_to: str | None = None
    """The higher rung whose tensors this one's equal exactly (same types and bytes): on a small
    model every K-quant tensor can fall back to the same type for two quant labels."""

    def twin_note(self) -> str | None:
        """``Q2_K is identical to Q3_K_S for this model (...)``, for a rung with a twin above it."""
        if self.identical_to is None:
            return None
        why = f" ({self.fallback_count} weight matrices fell back to the same types)" if self.fallback_count else ""
        return f"{self.quant} is identical to {self.identical_to} for this model{why}"

    @property
    def fallback_count(self) -> int:
        """How many weight matrices fell back to a type outside the requested mix."""
        return len(self.fallback_tensors)


def build_ladder(
    source: str | Path,
    quants: Sequence[str],
    out_dir: str | Path,
    log: Callable[[str], None] = print,
    threads: int | None = None,
) -> list[LadderEntry]:
    """Return the baseline entry followed by one entry per requested quant, building what is missing.

    An unquantized source (F32/F16/BF16 matrices) is itself the baseline, linked (or copied) to
    ``<stem>-<TYPE>.gguf`` so the folder holds the whole ladder under one name pattern. A
    quantized source is first expanded to ``<stem>-F16.gguf``, which becomes the baseline and
    the input of every quant. A requested quant equal to the baseline's label is not built twice. Raises
    ``ValueError`` for an unknown quant or a non-GGUF source and ``OSError`` when ``out_dir``
    cannot be created or written. llama.cpp's own log goes to ``out_dir/llama.cpp.log``.
    """
    labels = [check_quant_label(label) for label in dict.fromkeys(quants)]
    source = Path(source)
    source_info = inspect_gguf(source)
    out_dir = _writable_directory(out_dir)
    with native_log_to(out_dir / NATIVE_LOG):
        return _build_entries(source, source_info, labels, out_dir, log, threads)


def _build_entries(
    source: Path,
    source_info: GgufInfo,
    labels: Sequence[str],
    out_dir: Path,
    log: Callable[[str], None],
    threads: int | None,
) -> list[LadderEntry]:
    """The rungs of :func:`build_ladder`, built with llama.cpp's log going to its file."""

    def rung_path(label: str) -> Path:
        return out_dir / f"{source.stem}-{label}.gguf"

    if source_info.is_quantized:
        log(
            f"{source.name} is already quantized ({source_info.file_type}); expanding it to F16 "
            "first so that every rung is quantized once, from full-width values"
        )
        baseline_label = BASELINE_FROM_QUANTIZED
        expanded_from: str | None = source_info.file_type
        baseline_info, reused = _build_rung(
            rung_path(baseline_label), source_info, baseline_label, lambda dst: dequantize_to_f16(source, dst), log,
            provenance={"expanded_from": expanded_from, "source": source.name},
        )
    else:
        baseline_label, expanded_from = source_info.file_type, None
        baseline_info, reused = _build_rung(
            rung_path(baseline_label), source_info, baseline_label, lambda dst: _link_or_copy(source, dst), log
        )

    entries = [attrs.evolve(_entry(baseline_info, baseline_label, is_baseline=True, reused=reused),
                            expanded_from=expanded_from)]
    infos = [baseline_info]
    for label in labels:
        if label == baseline_label:
            continue
        info, reused = _build_rung(
            rung_path(label),
            baseline_info,
            label,
            lambda dst, label=label: quantize(baseline_info.path, dst, label, threads),
            log,
        )
        infos.append(info)
        entries.append(_entry(info, label, is_baseline=False, reused=reused))
    return mark_twins(entries, {entry.quant: info.tensors for entry, info in zip(entries, infos, strict=True)})


def mark_twins(entries: Sequence[LadderEntry], tensors: dict[str, Sequence[Any]]) -> list[LadderEntry]:
    """Each rung whose tensors equal a higher rung's (same per-tensor types, then the same
    tensor bytes: :func:`weights_sha256`) gets ``identical_to`` that rung. Bytes are hashed only
    for rungs whose type maps already match."""
    marked: list[LadderEntry] = []
    digests: dict[str, str] = {}

    def digest(entry: LadderEntry) -> str:
        if entry.quant not in digests:
            digests[entry.quant] = weights_sha256(entry.path)
        return digests[entry.quant]

    for entry in entries:
        types = [(t.name, t.type_name) for t in tensors[entry.quant]]
        twin = next((other.quant for other in marked if not entry.is_baseline
                     and [(t.name, t.type_name) for t in tensors[other.quant]] == types
                     and digest(other) == digest(entry)), None)
        marked.append(attrs.evolve(entry, identical_to=twin) if twin else entry)
    return marked


def fallback_tensors(info: GgufInfo, quant: str) -> tuple[str, ...]:
    """Names of the quantized weight matrices whose type the ``quant`` mix does not assign."""
    intended = MIX_TYPES[quant]
    return tuple(t.name for t in info.tensors if t.is_matrix and not t.is_float and t.type_name not in intended)


def _writable_directory(out_dir: str | Path) -> Path:
    """Create ``out_dir`` if needed; ``OSError`` naming it when it cannot hold new files."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"cannot create ladder directory {out_dir}: {error.strerror}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise PermissionError(f"ladder directory is not writable: {out_dir}")
    return out_dir


def _link_or_copy(source: Path, destination: Path) -> Path:
    """Put an unquantized source into the ladder folder under its rung name (a hard link if it can)."""
    with atomic_output(destination) as partial:
        try:
            os.link(source, partial)
        except OSError:
            shutil.copyfile(source, partial)
    return destination


def _build_rung(
    destination: Path,
    input_info: GgufInfo,
    label: str,
    make: Callable[[Path], Path],
    log: Callable[[str], None],
    provenance: dict[str, str] | None = None,
) -> tuple[GgufInfo, bool]:
    """The inspected rung and whether it was reused: kept when its sidecar vouches for it,
    otherwise made from ``input_info``'s file by ``make`` and recorded in a new sidecar.
    ``provenance`` (where an expanded baseline came from) is recorded in the sidecar too, where
    backends read it (:func:`sidecar_provenance`)."""
    sidecar = destination.with_name(destination.name + ".json")
    record = {"source_sha256": input_info.sha256, "quant": label, **(provenance or {})}
    reusable = _verified_output(destination, sidecar, input_info.sha256, label)
    if reusable is not None:
        log(f"{label}: reusing {destination.name} (source and output hashes match)")
        _write_sidecar(sidecar, record | {"output_sha256": reusable.sha256})  # adds provenance to older sidecars
        return reusable, True

    started = time.perf_counter()
    make(destination)
    info = inspect_gguf(destination)
    _write_sidecar(sidecar, record | {"output_sha256": info.sha256})
    log(f"{label}: wrote {destination.name} in {time.perf_counter() - started:.1f} s")
    return info, False


def _write_sidecar(sidecar: Path, record: dict[str, str]) -> None:
    try:
        if json.loads(sidecar.read_text()) == record:
            return
    except (OSError, ValueError):
        pass
    with atomic_output(sidecar) as partial:
        partial.write_text(json.dumps(record, indent=2) + "\n")


def sidecar_provenance(model: Path, sha256: str) -> dict[str, str]:
    """What a ladder recorded of where ``model`` came from (``expanded_from``, ``source``): read
    from its sidecar only when the sidecar names this file's hash (a replaced file's is ignored)."""
    sidecar = model.with_name(model.name + ".json")
    try:
        record = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict) or record.get("output_sha256") != sha256:
        return {}
    return {key: str(record[key]) for key in ("expanded_from", "source") if record.get(key)}


def _verified_output(destination: Path, sidecar: Path, source_sha256: str, label: str) -> GgufInfo | None:
    """The inspected output if its sidecar matches this source and label and its hash checks out."""
    if not (destination.is_file() and sidecar.is_file()):
        return None
    try:
        record = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return None
    if record.get("source_sha256") != source_sha256 or record.get("quant") != label:
        return None
    info = inspect_gguf(destination)
    return info if info.sha256 == record.get("output_sha256") else None


def _entry(info: GgufInfo, label: str, is_baseline: bool, reused: bool) -> LadderEntry:
    """Describe one rung from its inspected file; the baseline has nothing to fall back from."""
    return LadderEntry(
        quant=label,
        path=info.path,
        tensor_types=info.tensor_types,
        fallback_tensors=() if is_baseline else fallback_tensors(info, label),
        bits_per_weight=info.bits_per_weight,
        size_bytes=info.size_bytes,
        sha256=info.sha256,
        is_baseline=is_baseline,
        reused=reused,
    )
