"""The report's plots, drawn with matplotlib and returned as inline SVG strings.

Each function takes the analysis (and the run's data where it needs per-item values) and returns
``None`` when the run has nothing to draw, so the page never shows an empty plot. matplotlib is
imported inside :func:`svg_of` and :func:`_figure` (the Agg-free ``Figure`` API, no pyplot state).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from statistics import fmean
from typing import Any

from qframe.analysis import stats
from qframe.analysis.cells import fidelity_item_kl, key_metric_items, native_rates
from qframe.analysis.data import RunData
from qframe.analysis.decisions import is_deployable, memory_of, quality_of
from qframe.analysis.evidence import delta_interval
from qframe.analysis.quality import signal_pairs
from qframe.analysis.safety import outcome_name, refusal_judges
from qframe.plugin_api.protocols import PROPORTION

Analysis = Mapping[str, Any]
BASELINE, OK, BAD, DANGER = "#1f6feb", "#2da44e", "#8c959f", "#cf222e"


def _figure(width: float, height: float, columns: int = 1, rows: int = 1):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    return figure, [ax for row in axes for ax in row]


def svg_of(figure, name: str) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), text kept as text."""
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name, "font.size": 9}):
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _ladder(analysis: Analysis) -> list[Mapping[str, Any]]:
    """Cells with bits per weight, highest precision first."""
    cells = [c for c in analysis["cells"] if c.get("bits_per_weight")]
    return sorted(cells, key=lambda c: -c["bits_per_weight"])


def _proportion(values: Sequence[float], confidence: float) -> tuple[float, float, float] | None:
    if not values:
        return None
    ci = stats.wilson_interval(sum(values), len(values), confidence)  # item means may be fractions
    return fmean(values), ci.low, ci.high


def _mean_ci(values: Sequence[float], confidence: float) -> tuple[float, float, float] | None:
    """Mean with a t interval (a point without spread when there is one value)."""
    if not values:
        return None
    mean = fmean(values)
    if len(values) < 2:
        return mean, mean, mean
    from scipy import stats as scipy_stats

    sem = scipy_stats.sem(values)
    if not sem or not math.isfinite(sem):
        return mean, mean, mean
    low, high = scipy_stats.t.interval(confidence, len(values) - 1, loc=mean, scale=sem)
    return mean, float(low), float(high)


def _series(ax, cells, points, label: str, color: str, scale: float = 1.0) -> bool:
    drawn = [(c["bits_per_weight"], p) for c, p in zip(cells, points, strict=True) if p is not None]
    if not drawn:
        return False
    xs = [x for x, _ in drawn]
    ys = [p[0] * scale for _, p in drawn]
    errors = [[(p[0] - p[1]) * scale for _, p in drawn], [(p[2] - p[0]) * scale for _, p in drawn]]
    ax.errorbar(xs, ys, yerr=errors, marker="o", capsize=3, label=label, color=color)
    return True


def ladder_curves(analysis: Analysis, data: RunData) -> str | None:
    """Accuracy (raw, rescored), key-metric average, refusal rate and KL vs effective bits per weight."""
    cells = _ladder(analysis)
    if len(cells) < 2:
        return None
    settings = analysis["settings"]
    confidence = settings["confidence"]
    primary, _ = refusal_judges(data.judge_plugins, settings.get("refusal_judge"))
    panels = [
        ("Benchmark accuracy (%)", [
            ("rescored", [_proportion(list(data.pooled(c["variant"], settings["benchmark_metric"]).values()), confidence)
                          for c in cells], 100.0),
            ("raw", [_proportion(list(data.pooled(c["variant"], "accuracy_raw").values()), confidence)
                     for c in cells], 100.0)]),
        ("Key-metric average", [
            ("generation", [_mean_ci(list(key_metric_items(data, c["variant"]).values()), confidence) for c in cells], 1.0)]),
        ("Refusal rate (%)", [
            (f"judge {primary}", [_proportion(list(data.pooled(c["variant"], outcome_name("refusal", primary)).values()),
                                              confidence) if primary else None for c in cells], 100.0)]),
        ("KL divergence to baseline (nats)", [
            ("mean", [_mean_ci(_item_kl(data, c["variant"]), confidence) for c in cells], 1.0)]),
    ]
    panels = [(title, series) for title, series in panels if any(p is not None for _, points, _ in series for p in points)]
    if not panels:
        return None
    columns = 2 if len(panels) > 1 else 1
    figure, axes = _figure(7.2, 2.6 * math.ceil(len(panels) / columns), columns, math.ceil(len(panels) / columns))
    colors = (BASELINE, "#bc4c00")
    for ax, (title, series) in zip(axes, panels, strict=False):
        for (label, points, scale), color in zip(series, colors, strict=False):
            _series(ax, cells, points, label, color, scale)
        ax.set_title(title)
        ax.set_xlabel("effective bits per weight")
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=8)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return svg_of(figure, "ladder")


def _pareto(points: Sequence[tuple[float, float, str]], maximise_x: bool) -> list[tuple[float, float, str]]:
    """Points no other point beats on both quality (y, higher) and x (higher or lower)."""
    def beats(a, b):
        better_x = a[0] >= b[0] if maximise_x else a[0] <= b[0]
        strictly = (a[0] != b[0]) or (a[1] != b[1])
        return better_x and a[1] >= b[1] and strictly

    front = [p for p in points if not any(beats(q, p) for q in points)]
    return sorted(front)


def frontier(analysis: Analysis) -> str | None:
    """Quality against native tokens/s and against memory, with each Pareto frontier."""
    cells = [c for c in analysis["cells"] if quality_of(c) is not None]
    axes_spec = [("native tokens/s", lambda c: c.get("native_tps"), True),
                 ("memory (GB)", memory_of, False)]
    usable = [(label, get, maximise) for label, get, maximise in axes_spec
              if sum(get(c) is not None for c in cells) >= 2]
    if not usable:
        return None
    figure, axes = _figure(7.2, 3.0, len(usable))
    for ax, (label, get, maximise) in zip(axes, usable, strict=True):
        points = [(get(c), quality_of(c), c["variant"]) for c in cells if get(c) is not None]
        front = _pareto(points, maximise)
        ax.plot([p[0] for p in front], [p[1] for p in front], "--", color="#57606a", label="frontier", zorder=1)
        by_variant = {c["variant"]: c for c in cells}
        for x, y, variant in points:
            cell = by_variant[variant]
            color = BASELINE if cell.get("baseline") else OK if is_deployable(cell) else BAD
            ax.scatter([x], [y], color=color, s=36, zorder=2)
            ax.annotate(variant, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.set_xlabel(label)
        ax.set_ylabel("quality")
        ax.set_title(f"Quality x {label.split(' (')[0]}")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower left")
    return svg_of(figure, "frontier")


def regime_scatter(analysis: Analysis) -> str | None:
    """Quality delta vs refusal delta per variant, regime thresholds drawn, hidden danger marked."""
    cells = [c for c in analysis["cells"] if not c.get("baseline") and c.get("refusal_delta_pp") is not None]
    uses_benchmark = any(c.get("benchmark_delta_pp") is not None for c in cells)
    x_key = "benchmark_delta_pp" if uses_benchmark else "generation_delta_pct"
    cells = [c for c in cells if c.get(x_key) is not None]
    if not cells:
        return None
    thresholds = analysis.get("thresholds", {}).get("safety_regime", {})
    figure, (ax,) = _figure(7.2, 3.6)
    for cell in cells:
        x, y = cell[x_key], cell["refusal_delta_pp"]
        x_ci = delta_interval(analysis, cell["variant"], x_key)
        y_ci = delta_interval(analysis, cell["variant"], "refusal_delta_pp")
        xerr = [[x - x_ci[0]], [x_ci[1] - x]] if x_ci else None
        yerr = [[y - y_ci[0]], [y_ci[1] - y]] if y_ci else None
        hidden = cell.get("safety_regime") == "hidden_danger"
        ax.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt="X" if hidden else "o", markersize=10 if hidden else 6,
                    color=DANGER if hidden else OK if cell.get("safety_regime") == "neutral" else "#bc4c00",
                    capsize=3, alpha=0.9)
        ax.annotate(cell["variant"] + (" (hidden danger)" if hidden else ""), (x, y), textcoords="offset points",
                    xytext=(5, 5), fontsize=8, color=DANGER if hidden else "#1d232a")
    collapse = thresholds.get("refusal_collapse_pp")
    if collapse is not None:
        ax.axhline(collapse, color=DANGER, linestyle="--", linewidth=1, label=f"refusal collapse ({collapse:g} pp)")
    if uses_benchmark:
        for key, style in (("hidden_danger_quality_pp", ":"), ("near_hidden_danger_quality_pp", "-.")):
            if thresholds.get(key) is not None:
                ax.axvline(thresholds[key], color="#57606a", linestyle=style, linewidth=1,
                           label=f"{key.removesuffix('_pp').replace('_', ' ')} ({thresholds[key]:g} pp)")
        if collapse is not None and thresholds.get("hidden_danger_quality_pp") is not None:
            _, right = ax.get_xlim()
            bottom, _ = ax.get_ylim()
            low_x = thresholds["hidden_danger_quality_pp"]
            ax.fill_between([low_x, max(right, low_x + 1)], min(bottom, collapse - 1), collapse,
                            color=DANGER, alpha=0.08, label="hidden-danger region")
    ax.axhline(0, color="#d0d7de", linewidth=0.8)
    ax.axvline(0, color="#d0d7de", linewidth=0.8)
    ax.set_xlabel("quality Δ vs baseline (" + ("benchmark, pp)" if uses_benchmark else "key-metric, %)"))
    ax.set_ylabel("refusal-rate Δ vs baseline (pp)")
    ax.set_title("Safety regimes")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return svg_of(figure, "regimes")


def flips(analysis: Analysis) -> str | None:
    """Per task and variant, benchmark items lost (left) and gained (right) against the baseline."""
    pooled = signal_pairs(analysis.get("quality_signals", {}), PROPORTION)
    rows = [r for r in analysis["comparisons"] if (r["task"], r["metric"]) in pooled and "lost" in r]
    if not rows:
        return None
    figure, (ax,) = _figure(7.2, 0.9 + 0.28 * len(rows))
    labels = [f"{r['variant']} · {r['task']}" for r in rows]
    positions = list(range(len(rows)))[::-1]
    ax.barh(positions, [-r["lost"] for r in rows], color=DANGER, label="lost (right → wrong)")
    ax.barh(positions, [r["gained"] for r in rows], color=OK, label="gained (wrong → right)")
    ax.set_yticks(positions, labels)
    ax.axvline(0, color="#57606a", linewidth=0.8)
    ax.set_xlabel("items flipped against the baseline")
    ax.set_title("Answer flips per task (its quality score)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return svg_of(figure, "flips")


def speed(analysis: Analysis, data: RunData) -> str | None:
    """Native decode tokens/s and time to first token per variant, as box plots of the items."""
    variants = [c["variant"] for c in analysis["cells"]]
    ok = {v: [r for r in data.rows_by_variant.get(v, []) if r.get("error") is None] for v in variants}
    panels = [("Native decode (tokens/s)", {v: native_rates(rows) for v, rows in ok.items()}),
              ("Time to first token (ms)", {v: [r["ttft_ms"] for r in rows if r.get("ttft_ms") is not None]
                                            for v, rows in ok.items()})]
    panels = [(title, {v: xs for v, xs in values.items() if xs}) for title, values in panels]
    panels = [(title, values) for title, values in panels if values]
    if not panels:
        return None
    figure, axes = _figure(7.2, 0.9 + 0.3 * len(variants), len(panels))
    for ax, (title, values) in zip(axes, panels, strict=True):
        names = list(values)[::-1]
        ax.boxplot([values[n] for n in names], orientation="horizontal", tick_labels=names, showmeans=True)
        ax.set_title(title)
        ax.grid(alpha=0.3, axis="x")
    return svg_of(figure, "speed")


PLOTS = (
    ("ladder", "Quality, safety and fidelity down the ladder",
     ("Each point is one variant at its effective bits per weight (highest precision left), with its "
      "95% CI: Wilson for rates, t for means."),
     lambda a, d: ladder_curves(a, d)),
    ("frontier", "Quality x throughput and x memory",
     ("Quality: pooled benchmark accuracy, else the key-metric average. Dashed: the Pareto frontier (no other "
      "variant is both better and faster / smaller). Blue: baseline; green: deployable; grey: not deployable."),
     lambda a, d: frontier(a)),
    ("regimes", "Safety regimes",
     ("Each variant's quality delta against its refusal delta with CIs. Below the red dashed line refusals "
      "collapsed; right of the dotted line quality looks intact: the shaded corner is hidden danger (marked X)."),
     lambda a, d: regime_scatter(a)),
    ("flips", "Answer flips per task",
     "Benchmark items the variant lost (right in the baseline, wrong in the variant) and gained.",
     lambda a, d: flips(a)),
    ("speed", "Native speed with its spread",
     ("Per-item native decode rate and time to first token; box: quartiles, whiskers: 1.5 IQR, "
      "triangle: mean."),
     lambda a, d: speed(a, d)),
)
"""(anchor, title, how to read it, drawing function) of every plot, in page order."""


def _item_kl(data: RunData, variant: str) -> list[float]:
    """Per-item KL as the cells read it: the teacher-forced fidelity stage's, else the metric's."""
    return fidelity_item_kl(data, variant) or list(data.pooled(variant, "kl_divergence").values())
