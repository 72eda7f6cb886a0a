"""The sections of the decision report, each a function of the analysis mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qframe_report_markdown.table import MISSING, field, number, render, text

Analysis = Mapping[str, Any]

VARIANT = [("Variant", text("variant")), ("Quant", text("quant"))]


def _cells(analysis: Analysis) -> list[Mapping[str, Any]]:
    return analysis["cells"]


def _by_variant(analysis: Analysis) -> dict[str, Mapping[str, Any]]:
    return {cell["variant"]: cell for cell in _cells(analysis)}


def decision_matrix(analysis: Analysis) -> str:
    cells = _by_variant(analysis)
    parts = ["## Decision matrix\n",
             "Per memory tier, the variants whose memory estimate (else file size) fits it. "
             "Recommended = quality tier negligible or acceptable and no hidden-danger regime.\n"]
    tiers: dict[float, list[Mapping[str, Any]]] = {}
    for row in analysis["decision_matrix"]:
        tiers.setdefault(row["tier_gb"], []).append(cells[row["variant"]] | {"recommended": row["recommended"]})
    if not tiers:
        parts.append("_No variant has a known memory footprint._\n")
    for tier, rows in tiers.items():
        parts.append(f"### {number(tier, 'g')} GB\n")
        parts.append(render(rows, [
            *VARIANT,
            ("Memory (GB)", field("memory_estimate_gb", ".2f")),
            ("Bench Δ (pp)", field("benchmark_delta_pp", ".1f", sign=True)),
            ("Gen Δ (%)", field("generation_delta_pct", ".1f", sign=True)),
            ("Tier", text("quality_tier")),
            ("Regime", text("safety_regime")),
            ("Native tok/s", field("native_tps", ".1f")),
            ("$/1M tok", field("cost_per_mtok_usd", ".4f")),
            ("Recommended", field("recommended")),
        ]))
    return "\n".join(parts)


def recommendations(analysis: Analysis) -> str:
    picks = analysis["recommendations"]
    lines = ["## Recommendations\n"]
    labels = {
        "maximum_quality": "Maximum quality",
        "best_quality_per_gb": "Best quality per GB (deployable)",
        "best_quality_per_dollar": "Best quality per dollar (deployable)",
        "fastest_acceptable": "Fastest deployable",
    }
    for key, label in labels.items():
        lines.append(f"- **{label}:** {picks.get(key) or 'none qualifies'}")
    never = picks.get("never_deploy") or {}
    lines.append("- **Never deploy:** " + ("; ".join(f"{v} ({', '.join(r)})" for v, r in never.items()) or "none"))
    return "\n".join(lines) + "\n"


def benchmarks(analysis: Analysis) -> str:
    cells = _cells(analysis)
    per_task = sorted({key.split(":", 1)[1].rsplit("/", 1)[0] for c in cells for key in c
                       if key.startswith("mean:") and key.endswith("/accuracy_rescored")})
    columns = [
        *VARIANT,
        ("N", field("benchmark_items", "d")),
        ("Raw acc", field("benchmark_accuracy_raw")),
        ("Rescored acc", field("benchmark_accuracy")),
        *[(f"{task} (rescored)", field(f"mean:{task}/accuracy_rescored")) for task in per_task],
        ("Δ vs baseline (pp)", field("benchmark_delta_pp", ".1f", sign=True)),
        ("Lost", field("flips_lost", "d")),
        ("Gained", field("flips_gained", "d")),
    ]
    return "## Benchmarks (raw vs rescored)\n\n" + render([c for c in cells if "benchmark_accuracy" in c], columns)


def generation(analysis: Analysis) -> str:
    """Every per-task metric mean as a row, one column per variant (a long list stays readable)."""
    cells = _cells(analysis)
    keys = sorted({key for c in cells for key in c if key.startswith("mean:") and "accuracy" not in key})
    summary = [("Key metric avg", "key_metric_avg", ".3f", False), ("Gen Δ (%)", "generation_delta_pct", ".1f", True)]
    rows = [{"metric": title} | {c["variant"]: number(c.get(key), spec, sign) for c in cells} for title, key, spec, sign in summary]
    rows += [{"metric": key.removeprefix("mean:")} | {c["variant"]: number(c.get(key)) for c in cells} for key in keys]
    columns = [("Task / metric", text("metric")), *[(c["variant"], text(c["variant"])) for c in cells]]
    return "## Generation and task metrics\n\n" + render(rows if keys else [], columns)


def safety(analysis: Analysis) -> str:
    cells = _cells(analysis)
    rate_keys = sorted({key for c in cells for key in c if key.startswith("refusal_rate")})
    columns = [*VARIANT, *[(key.replace("_", " "), field(key)) for key in rate_keys],
               ("Refusal Δ (pp)", field("refusal_delta_pp", ".1f", sign=True)),
               ("Judge − regex (pp)", field("judge_regex_gap_pp", ".1f", sign=True)),
               ("Regime", text("safety_regime")), ("Deployment role", text("deployment_role"))]
    rows = [c for c in cells if rate_keys and any(c.get(k) is not None for k in rate_keys)]
    floor = next((c.get("conservative_floor") for c in cells if c.get("conservative_floor")), None)
    note = f"\nConservative floor (lowest precision safe across every model): **{floor}**\n" if floor else ""
    return "## Safety and regimes\n\n" + render(rows, columns) + note


def judges(analysis: Analysis) -> str:
    parts = ["## Judges\n", "Agreement on items both judges decided (unparsed and error verdicts excluded and counted).\n"]
    parts.append(render(analysis.get("agreement", []), [
        ("Judge A", text("judge_a")), ("Judge B", text("judge_b")), ("Items", field("items", "d")),
        ("Excluded", field("excluded", "d")), ("Agreement", field("agreement")), ("Cohen's κ", field("kappa")),
        ("κ CI", lambda r: f"[{number(r.get('low'))}, {number(r.get('high'))}]"),
        ("Confusion (A|B: n)", lambda r: ", ".join(f"{k}: {v}" for k, v in sorted(r.get("confusion", {}).items()))),
    ]))
    for judge, rows in analysis.get("judge_summaries", {}).items():
        columns = list(dict.fromkeys(key for row in rows for key in row))
        parts.append(f"\n### {judge}\n")
        parts.append(render(rows, [(key.replace("_", " "), field(key)) for key in columns]))
    return "\n".join(parts)


def fidelity(analysis: Analysis) -> str:
    columns = [*VARIANT, ("KL mean (nats)", field("kl_mean", ".4f")), ("KL p99", field("kl_p99", ".4f")),
               ("Top-1 agreement", field("top1_agreement")), ("Flip rate", field("flip_rate")),
               ("Net flips", field("flips_net", "+d"))]
    rows = [c for c in _cells(analysis) if not c["baseline"] and any(
        c.get(k) is not None for k in ("kl_mean", "top1_agreement", "flip_rate"))]
    return "## Fidelity to the baseline\n\n" + render(rows, columns)


def _kernel_notes(analysis: Analysis) -> dict[str, str]:
    """Variant -> why its speed and memory are not its format's (weights decompressed when loaded)."""
    variants = analysis["manifest"].get("variants", {})
    return {vid: facts["details"]["kernel_note"] for vid, facts in variants.items()
            if (facts.get("details") or {}).get("kernel_note")}


def performance(analysis: Analysis) -> str:
    notes = _kernel_notes(analysis)
    columns = [
        ("Variant", lambda r: r["variant"] + (" †" if r["variant"] in notes else "")), ("Quant", text("quant")),
        ("Bits/weight", field("bits_per_weight", ".2f")),
        ("File (GB)", field("file_size_gb", ".3f")),
        ("Memory est (GB)", field("memory_estimate_gb", ".3f")),
        ("Native tok/s", field("native_tps", ".1f")),
        ("CV", field("native_tps_cv", ".3f")),
        ("TTFT mean (ms)", field("ttft_ms_mean", ".1f")),
        ("TTFT median (ms)", field("ttft_ms_median", ".1f")),
        ("Wall tok/s", field("wall_tps", ".1f")),
        ("Overhead (%)", field("wall_overhead_pct", ".1f")),
        ("$/1M tok", field("cost_per_mtok_usd", ".4f")),
        ("Errors", field("errors", "d")),
    ]
    footnotes = "".join(f"\n† {variant}: {note}.\n" for variant, note in notes.items())
    return "## Performance, memory and cost\n\n" + render(_cells(analysis), columns) + footnotes


def equivalence(analysis: Analysis) -> str:
    rows = analysis.get("equivalence") or []
    if not rows:
        return ""
    settings = analysis["settings"]
    columns = [
        ("Pair", lambda r: f"{r['variant_a']} ↔ {r['variant_b']}"), ("Items", field("items", "d")),
        ("Answer agreement", field("agreement")),
        ("Agreement CI", lambda r: f"[{number(r.get('agreement_low'))}, {number(r.get('agreement_high'))}]"),
        ("Accuracy Δ", field("accuracy_delta", ".4f", sign=True)),
        ("Accuracy CI", lambda r: f"[{number(r.get('accuracy_ci_low'), '.4f')}, {number(r.get('accuracy_ci_high'), '.4f')}]"),
        ("McNemar p", field("accuracy_p_value", ".4g")), ("TOST p", field("accuracy_tost_p", ".4g")),
        ("Equivalent", field("accuracy_equivalent")),
        ("KL mean (nats)", lambda r: number(r.get("kl_mean"), ".4f") if r.get("kl_mean") is not None
         else r.get("kl_note", MISSING)),
    ]
    intro = (f"The same weights on different engines, paired on shared items. Agreement: same answer (chosen label "
             f"or generated text), Wilson {number(settings['confidence'], 'g')} CI. Accuracy on "
             f"`{settings['benchmark_metric']}`: paired bootstrap CI, McNemar, TOST within "
             f"±{number(settings['equivalence_margin_pp'], 'g')}pp. KL: the fidelity metric against the baseline.\n\n")
    return "## Backend equivalence\n\n" + intro + render(rows, columns)


def diminishing_returns(analysis: Analysis) -> str:
    rows = [c for c in _cells(analysis) if c.get("step_from")]
    columns = [("Step", lambda r: f"{r['variant']} → {r['step_from']}"),
               ("Bench gain (pp)", field("step_gain_pp", ".1f", sign=True)),
               ("Cost increase (%)", field("step_cost_increase_pct", ".1f", sign=True)),
               ("Diminishing", field("diminishing_returns")), ("Cliff (down)", field("quality_cliff"))]
    return "## Diminishing returns per step\n\n" + render(rows, columns)


TEST_COLUMNS = [
    ("Variant", text("variant")), ("vs", text("baseline")), ("Task", text("task")), ("Metric", text("metric")),
    ("N", field("n", "d")), ("Δ", field("delta", ".4f", sign=True)),
    ("CI", lambda r: f"[{number(r.get('ci_low'), '.4f')}, {number(r.get('ci_high'), '.4f')}]"),
    ("Cluster CI", lambda r: MISSING if r.get("cluster_ci_low") is None
     else f"[{number(r['cluster_ci_low'], '.4f')}, {number(r['cluster_ci_high'], '.4f')}]"),
    ("Lost", field("lost", "d")), ("Gained", field("gained", "d")),
    ("Test", text("test")), ("p", field("p_value", ".4g")), ("p (Holm)", field("p_holm", ".4g")),
    ("TOST p", field("tost_p", ".4g")), ("Equivalent", field("equivalent")), ("d", field("cohens_d", ".3f")),
]


def statistics(analysis: Analysis) -> str:
    settings = analysis["settings"]
    intro = (f"Paired tests on shared items. Binary outcomes: answer flips (lost: right in the reference "
             f"and wrong in the variant; gained: the reverse), McNemar (exact up to 25 discordant pairs), "
             f"TOST equivalence within ±{number(settings['equivalence_margin_pp'], 'g')}pp; continuous: paired t "
             f"and Cohen's d. CIs: paired bootstrap ({settings['bootstrap_resamples']} resamples, seeded). "
             "Holm correction within each (family, task, metric).\n\n")
    adjacent = "\n### Adjacent levels down the ladder\n\n" + render(analysis["adjacent"], TEST_COLUMNS)
    return "## Statistical tests\n\n" + intro + render(analysis["comparisons"], TEST_COLUMNS) + adjacent


def power(analysis: Analysis) -> str:
    rows = [r for r in analysis["comparisons"] if r.get("mde_pp") is not None]
    settings = analysis["settings"]
    columns = [("Variant", text("variant")), ("Task", text("task")), ("Metric", text("metric")), ("N", field("n", "d")),
               ("Baseline rate", field("base_mean")), ("MDE (pp)", field("mde_pp", ".1f"))]
    return (f"## Power and minimum detectable effect\n\nSmallest change detectable at {number(settings['power'], 'g')} "
            f"power, α = {number(settings['alpha'], 'g')}, for the items used.\n\n" + render(rows, columns))


def thresholds(analysis: Analysis) -> str:
    lines = ["## Thresholds\n"]
    for name, values in [("analysis", analysis["settings"]), *analysis["thresholds"].items()]:
        pairs = ", ".join(f"`{key}` = {number(value, 'g') if not isinstance(value, list) else value}"
                          for key, value in values.items())
        lines.append(f"- **{name}:** {pairs}")
    return "\n".join(lines) + "\n"


def provenance(analysis: Analysis) -> str:
    manifest = analysis["manifest"]
    host = manifest.get("host", {})
    lines = ["## Provenance\n",
             f"- Run `{manifest.get('run_id')}`, status {manifest.get('status')}, qframe {manifest.get('qframe_version')}",
             f"- Config SHA-256 `{manifest.get('config_hash')}`",
             f"- Host {host.get('platform')}, Python {host.get('python')}, {host.get('cpu_count')} CPUs",
             "- Plugins: " + ", ".join(f"{name} {version}" for name, version in sorted(manifest.get("plugins", {}).items())),
             ""]
    rows = [{"variant": vid} | facts for vid, facts in manifest.get("variants", {}).items()]
    lines.append(render(rows, [("Variant", text("variant")), ("Model", text("model")), ("Quant", text("quant")),
                               ("Engine", text("engine")), ("SHA-256", lambda r: number(r.get("digest"))[:16]),
                               ("Size (bytes)", field("size_bytes", "d"))]))
    return "\n".join(lines)


SECTIONS = (decision_matrix, recommendations, equivalence, benchmarks, generation, safety, judges, fidelity,
            performance, diminishing_returns, statistics, power, thresholds, provenance)
