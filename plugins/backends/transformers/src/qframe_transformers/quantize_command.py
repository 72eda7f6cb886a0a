"""``qframe quantize SOURCE --method gptq|awq --bits 4 --group-size 64 --out DIR``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="quantize")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--method", type=click.Choice(["gptq", "awq"]), required=True, help="Quantization algorithm.")
@click.option("--bits", type=int, default=4, show_default=True, help="Bits per quantized weight.")
@click.option(
    "--group-size",
    type=int,
    default=64,
    show_default=True,
    help="Weights sharing one scale; must divide every layer width.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Output folder (must not exist or be empty).",
)
@click.option(
    "--calibration",
    default="builtin",
    show_default=True,
    help="'builtin' or a .txt (one text a line) / .jsonl ('text' field) file.",
)
@click.option("--samples", type=int, default=32, show_default=True, help="Calibration texts drawn.")
@click.option("--seq-len", type=int, default=256, show_default=True, help="Tokens kept per calibration text.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the calibration draw.")
def quantize(
    source: Path,
    method: str,
    bits: int,
    group_size: int,
    out_dir: Path,
    calibration: str,
    samples: int,
    seq_len: int,
    seed: int,
) -> None:
    """Make an AWQ or GPTQ checkpoint (compressed-tensors) with llm-compressor.

    SOURCE is an HF checkpoint folder or a .gguf file. The calibration spec, the source digest
    and the nominal and effective bits per weight are written to qframe-quantize.json in the
    output folder; serve the result with backend = "transformers" (or "vllm").
    """
    from qframe.plugin_api.errors import BadInputError

    from qframe_transformers.calibration import CalibrationSpec
    from qframe_transformers.quantize import quantize_checkpoint

    if samples < 1 or seq_len < 8:
        raise BadInputError("--samples must be at least 1 and --seq-len at least 8")
    spec = CalibrationSpec(source=calibration, samples=samples, sequence_length=seq_len, seed=seed)
    record = quantize_checkpoint(
        source, method, bits, group_size, out_dir, spec, log=lambda line: click.echo(line, err=True)
    )
    click.echo(
        f"{method} w{bits} g{group_size}: nominal {bits} bpw, effective {record['effective_bits_per_weight']:.3f} bpw "
        f"(quantized layers), {record['model_bits_per_weight']:.3f} bpw whole model, "
        f"{record['size_bytes'] / 1e6:.1f} MB, {record['seconds']:.0f} s -> {out_dir}"
    )
