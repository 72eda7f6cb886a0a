"""``qframe ladder SOURCE.gguf --quants ... --out DIR``: build a GGUF quant ladder."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_QUANTS = "Q8_0,Q6_K,Q5_K_M,Q4_K_M,Q4_0,Q3_K_S,Q2_K"


@click.command(name="ladder")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--quants", default=DEFAULT_QUANTS, show_default=True, help="Comma-separated quant types to build.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("ladder"), show_default=True)
@click.option("--threads", type=int, default=None, help="Quantizer threads (default: all cores).")
def ladder(source: Path, quants: str, out_dir: Path, threads: int | None) -> None:
    """Build a quant ladder from one GGUF with llama.cpp's quantizer.

    A quantized source is first expanded to F16 (the baseline). Every output is described from
    the file written: tensor types, weight matrices that fell back to another type, effective
    bits per weight and size. Outputs whose recorded source hash matches are reused. One line
    per rung is shown; llama.cpp's own log goes to ``llama.cpp.log`` in the ladder folder.
    """
    from rich.console import Console

    from qframe.plugin_api.errors import BadInputError

    from qframe_llamacpp.ladder import NATIVE_LOG, build_ladder

    labels = [label.strip() for label in quants.split(",") if label.strip()]
    if not source.is_file():
        raise BadInputError(f"source model not found: {source}")
    console = Console(stderr=True, highlight=False)
    try:
        with console.status(f"building the ladder in {out_dir} (llama.cpp log: {out_dir / NATIVE_LOG})"):
            entries = build_ladder(
                source, labels, out_dir, log=lambda line: console.print(line, markup=False), threads=threads
            )
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    except OSError as exc:
        raise BadInputError(f"{out_dir}: {exc.strerror or exc}") from None
    click.echo(f"{'quant':<8} {'bpw':>6} {'size MB':>9} {'fallbacks':>9}  tensor types written  file")
    for entry in entries:
        types = ", ".join(f"{name}:{count}" for name, count in sorted(entry.tensor_types.items()))
        expanded = f", expanded from {entry.expanded_from}" if entry.expanded_from else ""
        mark = f" (baseline{expanded})" if entry.is_baseline else (" (reused)" if entry.reused else "")
        click.echo(
            f"{entry.quant:<8} {entry.bits_per_weight:>6.2f} {entry.size_bytes / 1e6:>9.1f} {entry.fallback_count:>9}  "
            f"{types}  {entry.path}{mark}"
        )
    for entry in entries:
        if entry.twin_note():
            click.echo(f"{entry.twin_note()}: a run of both evaluates the same weights twice")
