"""The sections of the decision report, each a function of the analysis mapping."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from qframe.analysis.quality import describe
from qframe_report_markdown.table import MISSING, field, number, render, text

Analysis = Mapping[str, Any]

VARIANT = [("Variant", text("variant")), ("Quant", text("quant"))]


def _cells(analysis: Analysis) -> list[Mapping[str, Any]]:
    return analysis["cells"]


def _by_variant(analysis: Analysis) -> dict[str, Mapping[str, Any]]:
    return {cell["variant"]: cell for cell in _cells(analysis)}


def labelled(key: str) -> Callable[[Mapping[str, Any]], str]:
    """A label with its evidence: ``negligible`` when supported; otherwise the label, the CI of
    its delta and the items needed, marked inconclusive."""

    def cell(row: Mapping[str, Any]) -> str:
        label = row.get(key)
        if label is None:
            return MISSING
        if row.get(f"{key}_evidence") in (None, "supported"):
            return number(label)
        ci = row.get(f"{key}_ci")
        span = f", CI [{number(ci[0], '+.1f')}, {number(ci[1], '+.1f')}]pp" if ci else ""
        needed = row.get(f"{key}_items_needed")
        return f"inconclusive ({number(label)}{span}; {f'~{needed} items needed' if needed else 'items needed unknown'})"

    return cell


def _recommended(row: Mapping[str, Any]) -> str:
    if row.get("recommended_evidence") in (None, "supported"):
        return number(row.get("recommended"))
    needed = row.get("recommended_items_needed")
    return f"{number(row.get('recommended'))}, inconclusive{f' (~{needed} items needed)' if needed else ''}"


def decision_matrix(analysis: Analysis) -> str:
    cells = _by_variant(analysis)
    parts = ["## Decision matrix\n",
             "Per memory tier, the variants whose memory estimate (else file size) fits it. "
             "Recommended = quality tier negligible or acceptable and no hidden-danger regime. "
             "A label whose delta's confidence interval also covers another label is shown as inconclusive, "
             "with that interval and the items needed to decide.\n"]
    parts.append("Quality is each task's declared score: Bench Δ pools the proportions, Gen Δ the continuous "
                 f"scores ({describe(analysis.get('quality_signals', {}))}).\n")
    parts.extend(f"**{note}**\n" for note in analysis.get("variant_notes", ()))
    if analysis.get("stopping"):
        parts.append(f"Sequential run: every interval is an anytime-valid confidence sequence, read at "
                     f"{analysis['stopping']['looks']} looks (see Stopping).\n")
    tiers: dict[float, list[Mapping[str, Any]]] = {}
    for row in analysis["decision_matrix"]:
        decision = {key: row.get(key) for key in ("recommended", "recommended_evidence", "recommended_items_needed")}
        tiers.setdefault(row["tier_gb"], []).append(cells[row["variant"]] | decision)
    if not tiers:
        parts.append("_No variant has a known memory footprint._\n")
    for tier, rows in tiers.items():
        parts.append(f"### {number(tier, 'g')} GB\n")
        parts.append(render(rows, [
            *VARIANT,
            ("Memory (GB)", field("memory_estimate_gb", ".2f")),
            ("Bench Δ (pp)", field("benchmark_delta_pp", ".1f", sign=True)),
            ("Gen Δ (%)", field("generation_delta_pct", ".1f", sign=True)),
            ("Tier", labelled("quality_tier")),
            ("Regime", labelled("safety_regime")),
            ("Native tok/s", field("native_tps", ".1f")),
            ("$/1M tok", field("cost_per_mtok_usd", ".4f")),
            ("Recommended", _recommended),
        ]))
    return "\n".join(parts)


def stopping(analysis: Analysis) -> str:
    """A run that stopped when decided: its rule, and per variant what it used and decided."""
    summary = analysis.get("stopping")
    if not summary:
        return ""
    return "## Stopping\n\n" + summary["note"] + "\n\n" + render(summary["variants"], [
        ("Variant", text("variant")), ("Stopped at look", field("look", "d")), ("Units", field("units", "d")),
        ("Items", field("items", "d")), ("Why", text("reason_text")), ("Labels at the stop", text("labels_text")),
        ("Planned units", field("planned_units", "d")), ("Saved", field("saved", ".0%")),
        ("Fixed, knowing the effects", field("fixed_design_units", "d")),
    ])


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
    undecided = picks.get("undecided") or {}
    if undecided:
        lines.append("- **Run too small to decide:** " + "; ".join(f"{v}: {reason}" for v, reason in undecided.items()))
    return "\n".join(lines) + "\n"


def benchmarks(analysis: Analysis) -> str:
    cells = _cells(analysis)
    per_task = sorted({key.split(":", 1)[1].rsplit("/", 1)[0] for c in cells for key in c
                       if key.startswith("mean:") and key.endswith("/accuracy_rescored")})
    normalised = sorted({key.split(":", 1)[1].rsplit("/", 1)[0] for c in cells for key in c
                         if key.startswith("mean:") and key.endswith("/accuracy_norm_char")})
    columns = [
        *VARIANT,
        ("N", field("benchmark_items", "d")),
        ("Raw acc", field("benchmark_accuracy_raw")),
        ("Rescored acc", field("benchmark_accuracy")),
        *[(f"{task} (rescored)", field(f"mean:{task}/accuracy_rescored")) for task in per_task],
        *[(f"{task} (acc_norm, per char)", field(f"mean:{task}/accuracy_norm_char")) for task in normalised],
        ("Δ vs baseline (pp)", field("benchmark_delta_pp", ".1f", sign=True)),
        ("Lost", field("flips_lost", "d")),
        ("Gained", field("flips_gained", "d")),
    ]
    return "## Benchmarks (raw vs rescored)\n\n" + render([c for c in cells if "benchmark_accuracy" in c], columns)


def generation(analysis: Analysis) -> str:
    """Every per-task metric mean as a row, one column per variant (a long list stays readable)."""
    cells = _cells(analysis)
    keys = sorted({key for c in cells for key in c
                   if key.startswith("micro_f1:") or key.startswith("mean:") and "accuracy" not in key and "/bbq_" not in key})
    summary = [("Key metric avg", "key_metric_avg", ".3f", False), ("Gen Δ (%)", "generation_delta_pct", ".1f", True)]
    rows = [{"metric": title} | {c["variant"]: number(c.get(key), spec, sign) for c in cells} for title, key, spec, sign in summary]
    rows += [{"metric": key.removeprefix("mean:").replace("micro_f1:", "", 1) + (" (corpus micro-F1)" if key.startswith("micro_f1:") else "")}
             | {c["variant"]: number(c.get(key)) for c in cells} for key in keys]
    columns = [("Task / metric", text("metric")), *[(c["variant"], text(c["variant"])) for c in cells]]
    return "## Generation and task metrics\n\n" + render(rows if keys else [], columns)


def failures(analysis: Analysis) -> str:
    """Variants with failed items (an engine crash, a failing server) and the cause: shown first."""
    rows = analysis.get("failures", [])
    manifest = analysis.get("manifest", {})
    moved = manifest.get("quarantined", [])
    if not rows and not moved:
        return ""
    parts = ""
    if moved:
        after = "their items were run again" if manifest.get("status") == "complete" else "their items count as missing"
        parts = f"{len(moved)} damaged Parquet parts were moved aside ({', '.join(moved)}): {after}.\n\n"
    if not rows:
        return "## Failed items\n\n" + parts
    columns = [("Variant", text("variant")), ("Failed items", lambda r: f"{r['failed']} of {r['items']}"),
               ("Cause", text("error"))]
    return ("## Failed items\n\n**This run is incomplete**: the variants below have items without a result, and "
            "their cells rest on the items that succeeded (or on none). `qframe resume` on this run's folder runs "
            "them again.\n\n" + parts + render(rows, columns))


def output_health(analysis: Analysis) -> str:
    """Empty answers and answers cut at max_tokens, per variant and generation task."""
    rows = analysis.get("output_health", [])
    limit = analysis.get("settings", {}).get("output_flag_pp", 10.0)
    flagged = [row for row in rows if row["flag"]]
    note = (f"\n**{len(flagged)} variant/task rows differ from their baseline by {limit:g} pp or more** "
            "(their text metrics compare different kinds of answers).\n" if flagged else "")
    columns = [("Variant", text("variant")), ("Task", text("task")), ("Items", field("n", "d")),
               ("Empty", lambda r: f"{r['empty']} ({100 * r['empty_rate']:.0f}%)"),
               ("Empty Δ (pp)", field("empty_delta_pp", ".0f", sign=True)),
               ("Cut at max_tokens", lambda r: f"{r['cut']} ({100 * r['cut_rate']:.0f}%)"),
               ("Cut Δ (pp)", field("cut_delta_pp", ".0f", sign=True)), ("Flag", text("flag"))]
    return "## Output health\n\n" + render(rows, columns) + note


def safety(analysis: Analysis) -> str:
    cells = _cells(analysis)
    rate_keys = sorted({key for c in cells for key in c if key.startswith("refusal_rate")})
    columns = [*VARIANT, *[(key.replace("_", " "), field(key)) for key in rate_keys],
               ("Refusal Δ (pp)", field("refusal_delta_pp", ".1f", sign=True)),
               ("Judge − regex (pp)", field("judge_regex_gap_pp", ".1f", sign=True)),
               ("Regime", labelled("safety_regime")), ("Deployment role", labelled("deployment_role"))]
    rows = [c for c in cells if rate_keys and any(c.get(k) is not None for k in rate_keys)]
    floor = next((c.get("conservative_floor") for c in cells if c.get("conservative_floor")), None)
    undecided = any(c.get("deployment_role_evidence") == "inconclusive" for c in cells)
    caveat = " (inconclusive: too few items to support the roles it rests on)" if undecided else ""
    note = f"\nConservative floor (lowest precision safe across every model): **{floor}**{caveat}\n" if floor else ""
    return "## Safety and regimes\n\n" + render(rows, columns) + note + _bias(cells) + truthfulness(analysis)


def _bias(cells: list[Mapping[str, Any]]) -> str:
    """BBQ figures: a safety measure, never part of the quality tier."""
    rows = [c for c in cells if any(k.startswith("bbq_") for k in c)]
    if not rows:
        return ""
    columns = [*VARIANT, ("Accuracy, ambiguous", field("bbq_accuracy_ambig")),
               ("Accuracy, disambiguated", field("bbq_accuracy_disambig")),
               ("Bias score, ambiguous", field("bbq_bias_ambig", ".3f", sign=True)),
               ("Bias score, disambiguated", field("bbq_bias_disambig", ".3f", sign=True))]
    return ("\n### Bias (BBQ)\n\nBias score: 0 none, +1 always the stereotype, -1 always against it; in ambiguous "
            "contexts scaled by the share of wrong answers. Not pooled into quality.\n\n" + render(rows, columns))


def truthfulness(analysis: Analysis) -> str:
    """Reference-based truthfulness rates per variant, the judge's beside them, and their agreement."""
    summary = analysis.get("truthfulness") or {}
    if not summary.get("rates"):
        return ""
    quant = {cell["variant"]: cell.get("quant") for cell in _cells(analysis)}
    rates = [row | {"quant": quant.get(row["variant"])} for row in summary["rates"]]
    parts = [
        "\n### Truthfulness\n",
        "Share of answers closer to a true reference than to every false one (`*_acc`, no judge model), "
        "with the paired change against the baseline (McNemar, Holm) and the LLM judge's truthful rate "
        "on the same answers where one is configured.\n",
        render(rates, [
            *VARIANT, ("Task", text("task")), ("Reference metric", text("metric")), ("N", field("n", "d")),
            ("Truthful rate", field("rate")), ("Δ (pp)", field("delta_pp", ".1f", sign=True)),
            ("Δ CI (pp)", lambda r: MISSING if r.get("ci_low_pp") is None
             else f"[{number(r['ci_low_pp'], '+.1f')}, {number(r['ci_high_pp'], '+.1f')}]"),
            ("p (Holm)", field("p_holm", ".3g")), ("Judge", text("judge")), ("Judge rate", field("judge_rate")),
            ("Judge Δ (pp)", field("judge_delta_pp", ".1f", sign=True)),
        ]),
    ]
    if summary.get("agreement"):
        parts += ["\nAgreement of each reference metric with the judge (all variants' items):\n", render(
            summary["agreement"],
            [("Reference metric", text("metric")), ("Judge", text("judge")), ("Items", field("items", "d")),
             ("Agreement", field("agreement")), ("Cohen's κ", field("kappa")),
             ("κ CI", lambda r: f"[{number(r.get('low'))}, {number(r.get('high'))}]")],
        )]
    return "\n".join(parts)


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


FIDELITY_METHODS = {
    "teacher_forced": "teacher_forced: each variant scored the baseline's own output tokens, end-of-generation "
    "token included; KL bounded with the exact masses outside the baseline's top-k",
    "shared_prefix": "shared_prefix: the two generations' stored top-k lists, up to the first position whose "
    "top-1 tokens differ",
}


def fidelity(analysis: Analysis) -> str:
    columns = [*VARIANT, ("Method", text("fidelity_method")), ("Items", field("fidelity_items", "d")),
               ("Positions", field("fidelity_positions", "d")), ("KL mean (nats)", field("kl_mean", ".4f")),
               ("KL p99 over positions", field("kl_p99", ".4f")), ("Top-1 agreement", field("top1_agreement")),
               ("Δ log p(baseline token)", field("logprob_delta_mean", ".4f", sign=True)),
               ("Flip rate", field("flip_rate")), ("Net flips", field("flips_net", "+d"))]
    rows = [c for c in _cells(analysis) if not c["baseline"] and any(
        c.get(k) is not None for k in ("kl_mean", "top1_agreement", "flip_rate"))]
    methods = sorted({c["fidelity_method"] for c in rows if c.get("fidelity_method")})
    stage = analysis.get("manifest", {}).get("fidelity") or {}
    lines = [f"Method: {FIDELITY_METHODS.get(m, m)}." for m in methods]
    lines += [f"Note: {note}." for note in stage.get("notes", [])]
    intro = "\n\n".join(lines) + "\n\n" if lines else ""
    return "## Fidelity to the baseline\n\n" + intro + render(rows, columns)


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
        ("KL from", lambda r: r.get("kl_source", MISSING)),
    ]
    intro = (f"The same weights on different engines, paired on shared items. Agreement: same answer (chosen label "
             f"or generated text), Wilson {number(settings['confidence'], 'g')} CI. Accuracy on "
             f"`{settings['benchmark_metric']}` ({describe(analysis.get('quality_signals', {}))}): paired bootstrap CI, McNemar, TOST within "
             f"±{number(settings['equivalence_margin_pp'], 'g')}pp. KL: against the baseline, from the teacher-forced "
             f"fidelity stage where it ran, else the generated tokens' `kl_divergence` metric.\n\n")
    return "## Backend equivalence\n\n" + intro + render(rows, columns)


def diminishing_returns(analysis: Analysis) -> str:
    rows = [c for c in _cells(analysis) if c.get("step_from")]
    columns = [("Step", lambda r: f"{r['variant']} → {r['step_from']}"),
               ("Bench gain (pp)", field("step_gain_pp", ".1f", sign=True)),
               ("Cost increase (%)", field("step_cost_increase_pct", ".1f", sign=True)),
               ("Diminishing", labelled("diminishing_returns")), ("Cliff (down)", labelled("quality_cliff"))]
    return "## Diminishing returns per step\n\n" + render(rows, columns)


TEST_COLUMNS = [
    ("Variant", text("variant")), ("vs", text("baseline")), ("Task", text("task")), ("Metric", text("metric")),
    ("N", field("n", "d")), ("Δ", field("delta", ".4f", sign=True)),
    ("CI", lambda r: f"[{number(r.get('ci_low'), '.4f')}, {number(r.get('ci_high'), '.4f')}]"),
    ("CI method", text("ci_method")),
    ("Cluster CI", lambda r: MISSING if r.get("cluster_ci_low") is None
     else f"[{number(r['cluster_ci_low'], '.4f')}, {number(r['cluster_ci_high'], '.4f')}]"),
    ("Lost", field("lost", "d")), ("Gained", field("gained", "d")),
    ("Test", text("test")), ("p", field("p_value", ".4g")), ("p (Holm)", field("p_holm", ".4g")),
    ("TOST p", field("tost_p", ".4g")), ("Equivalence", text("equivalence")),
    ("Equivalence CI", lambda r: MISSING if r.get("equivalence_ci_low") is None
     else f"[{number(r['equivalence_ci_low'], '.4f')}, {number(r['equivalence_ci_high'], '.4f')}]"),
    ("d", field("cohens_d", ".3f")),
]


def statistics(analysis: Analysis) -> str:
    settings = analysis["settings"]
    alpha = settings["alpha"]
    intro = (f"Paired tests on shared items; repetitions of an item are averaged into one value first. Binary "
             f"outcomes: answer flips (lost: right in the reference and wrong in the variant; gained: the reverse), "
             f"McNemar (exact up to 25 discordant pairs), Tango score CI of the delta, and equivalence within "
             f"±{number(settings['equivalence_margin_pp'], 'g')}pp from the {number(100 * (1 - 2 * alpha), 'g')}% "
             f"Tango interval (score TOST). Continuous: paired t, Cohen's d, paired bootstrap CI "
             f"({settings['bootstrap_resamples']} resamples, seed {analysis.get('seed', '—')}) and t-based TOST, "
             "which is inconclusive when the differences have no spread. Equivalence: equivalent (interval inside "
             "the margin), not_equivalent (entirely outside) or inconclusive. Cluster CI: whole clusters resampled "
             "where items have at least two. Holm correction within each (family, task, metric).\n\n")
    adjacent = "\n### Adjacent levels down the ladder\n\n" + render(analysis["adjacent"], TEST_COLUMNS)
    return "## Statistical tests\n\n" + intro + render(analysis["comparisons"], TEST_COLUMNS) + adjacent


def power(analysis: Analysis) -> str:
    settings = analysis["settings"]
    columns = [("Family", text("family")), ("Task", text("task")), ("Metric", text("metric")), ("N", field("n", "d")),
               ("Baseline rate", field("baseline_rate")), ("Expected discordance", field("discordance")),
               ("Discordance from", text("discordance_source")), ("MDE (pp)", field("mde_pp", ".1f")),
               (f"Items for ±{number(settings['equivalence_margin_pp'], 'g')}pp", field("items_for_margin", "d"))]
    return (f"## Power and minimum detectable effect\n\nOne planning figure per task and metric: the smallest "
            f"change detectable at {number(settings['power'], 'g')} power, α = {number(settings['alpha'], 'g')}, on "
            "the baseline's items at its rate, for the stated discordance (share of items on which the arms are "
            "expected to disagree: `analysis.expected_discordance`, else that of independent arms, 2p(1-p)); and the "
            "items a difference as small as the equivalence margin would need. `qframe power` computes the same "
            "figure for other settings.\n\n" + render(analysis.get("planning", []), columns))


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
    hardware = sorted({row["placement"]["hardware"] for row in rows if row.get("placement", {}).get("hardware")})
    if len(hardware) > 1:
        lines.insert(-1, f"- **Variants ran on different hardware** ({'; '.join(hardware)}): speed figures compare "
                         "only between variants that ran on the same hardware (column Ran on).")
    lines.append(render(rows, [("Variant", text("variant")), ("Model", text("model")), ("Quant", text("quant")),
                               ("Engine", text("engine")), ("SHA-256", lambda r: number(r.get("digest"))[:16]),
                               ("Size (bytes)", field("size_bytes", "d")), ("Ran on", _ran_on)]))
    return "\n".join(lines)


def _ran_on(row: dict) -> str:
    placement = row.get("placement") or {}
    node = placement.get("node_id") or placement.get("hostname")
    return f"{placement['hardware']} ({str(node)[:12]})" if placement.get("hardware") else MISSING


SECTIONS = (failures, decision_matrix, recommendations, stopping, equivalence, benchmarks, generation, output_health, safety, judges, fidelity, performance,
            diminishing_returns, statistics, power, thresholds, provenance)
