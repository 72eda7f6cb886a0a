"""The fidelity stage end to end on the mock backend: references, comparisons, analysis, report."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qframe.analysis.cells import build_cells
from qframe.analysis.data import RunData
from qframe.config import AnalysisSection, structure_experiment
from qframe.plugin_api.errors import ConfigError
from qframe.run.fidelity_stage import run_fidelity
from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import PluginHost
from qframe.plugin_api.protocols import BackendSpec
from qframe.run.session import analyse, execute, load_tasks, open_session
from qframe.run.stages import scoring_items
from qframe_mock.backend import END, VOCABULARY, MockBackend

RESPONSES = ["alpha beta gamma", "delta 12 epsilon zeta eta", "7"]


def config(top_logprobs: int = 3, quants: tuple[str, ...] = ("F16", "Q8_0", "Q2_K"), **fidelity: Any) -> dict:
    data = {
        "experiment": {"name": "fid", "max_tokens": 32, "warmup": 0, "top_logprobs": top_logprobs},
        "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": list(quants), "baseline": "F16",
                   "options": {"responses": RESPONSES}},
        "tasks": [{"name": "mock", "limit": 6}],
        "reports": ["markdown"],
    }
    if fidelity:
        data["fidelity"] = fidelity
    return data


def fidelity_rows(session: Any) -> list[dict]:
    return session.store.read("fidelity").to_pylist()


def parts(session: Any) -> list[Path]:
    return sorted((session.path / "fidelity").glob("part-*.parquet"))


def test_teacher_forced_stage_scores_the_baseline_tokens_with_the_stop_position(host, run_experiment) -> None:
    session, outcome = run_experiment(host, config())
    assert outcome.exit_code == 0
    rows = {(r["variant"], r["sample_id"]): r for r in fidelity_rows(session)}
    generations = {(r["variant"], r["sample_id"]): r for r in session.store.read("generations").to_pylist()}
    assert len(rows) == 18 and all(r["error"] is None for r in rows.values())
    for (variant, sample), row in rows.items():
        words = generations[("F16", sample)]["text"].split()
        assert generations[("F16", sample)]["finish_reason"] == "stop"
        if variant == "F16":
            # The baseline's own tokens, end-of-generation token last, top-k of the whole mock vocabulary.
            assert row["tokens"] == [VOCABULARY.index(w) for w in words] + [VOCABULARY.index(END)]
            assert all(len(ids) == len(VOCABULARY) for ids in row["top_ids"])
            assert row["kl"] is None
        else:
            assert row["reference"] == "F16" and row["method"] == "teacher_forced"
            assert len(row["kl"]) == len(row["top1_match"]) == len(row["logprob_delta"]) == len(words) + 1
    cells = {c["variant"]: c for c in session_analysis(session)["cells"]}
    assert cells["Q2_K"]["kl_mean"] > cells["Q8_0"]["kl_mean"] > 0
    assert cells["Q8_0"]["top1_agreement"] >= cells["Q2_K"]["top1_agreement"]
    assert cells["Q2_K"]["fidelity_method"] == "teacher_forced"
    assert "kl_mean" not in cells["F16"]
    positions = [v for r in rows.values() if r["variant"] == "Q2_K" for v in r["kl"]]
    assert cells["Q2_K"]["fidelity_positions"] == len(positions) == sum(
        len(generations[("F16", s)]["text"].split()) + 1 for (v, s) in rows if v == "Q2_K")
    assert cells["Q2_K"]["kl_p99"] == pytest.approx(float(np.percentile(positions, 99)))
    report = (session.path / "report.md").read_text()
    section = report.split("## Fidelity to the baseline")[1].split("\n## ")[0]
    assert "Method: teacher_forced" in section and "KL p99 over positions" in section
    assert "Δ log p(baseline token)" in section and "| Q2_K |" in section


def session_analysis(session: Any) -> dict:
    return analyse(session)


def test_with_k_covering_the_vocabulary_the_stored_kl_is_the_full_kl(host, run_experiment) -> None:
    """No tail is left, so the stored KL is the full-vocabulary KL up to the float16 storage."""
    session, _ = run_experiment(host, config(top_k=len(VOCABULARY)))
    rows = {(r["variant"], r["sample_id"]): r for r in fidelity_rows(session)}
    baseline, variant = MockBackend(_spec("F16")), MockBackend(_spec("Q2_K"))
    prompts = {sample.id: sample.prompt for sample in _samples(session)}
    checked = 0
    for (name, sample_id), row in rows.items():
        if name != "Q2_K":
            continue
        reference = rows[("F16", sample_id)]
        assert all(rest == -math.inf for rest in reference["rest_logprob"])
        rendered = f"\x1f{prompts[sample_id]}\x1f{True}"
        for position, kl in enumerate(row["kl"]):
            p = np.array(baseline._next_token_logprobs(rendered, reference["tokens"][:position]))
            q = np.array(variant._next_token_logprobs(rendered, reference["tokens"][:position]))
            assert kl == pytest.approx(float(np.sum(np.exp(p) * (p - q))), rel=2e-3, abs=1e-4)
            checked += 1
    assert checked > 6


def _spec(quant: str) -> BackendSpec:
    return BackendSpec("mock", f"tiny-{quant}", quant, options={"responses": RESPONSES})


def _samples(session: Any) -> list:
    return load_tasks(session)[0]["mock"]


def test_resume_does_not_recompute_finished_fidelity_rows(host, run_experiment) -> None:
    session, _ = run_experiment(host, config())
    before = parts(session)
    stored = fidelity_rows(session)
    reopened = open_session(session.path, host)
    assert asyncio.run(execute(reopened, progress=False)).exit_code == 0
    assert parts(reopened) == before
    # Without one variant row in the store, exactly that row is computed again, alike.
    dropped = next(r for r in stored if r["variant"] == "Q8_0")
    for path in before:
        path.unlink()
    reopened.store.append("fidelity", [r for r in stored if r is not dropped])
    items = scoring_items(reopened.experiment, {"mock": _samples(reopened)}, reopened.store.read("generations").to_pylist())
    outcome = asyncio.run(run_fidelity(reopened.experiment, reopened.store, items, reopened.variant_backend))
    assert outcome.written == 1
    again = next(r for r in fidelity_rows(reopened) if r["variant"] == "Q8_0" and r["sample_id"] == dropped["sample_id"])
    assert again["kl"] == dropped["kl"]


def test_p99_is_over_positions_not_over_item_means() -> None:
    variants = {"B": {"baseline": True, "quant": "F16"}, "V": {"quant": "Q4"}}
    spike = [0.0] * 97 + [10.0] * 3
    flat = [0.1] * 100
    rows = [
        {"variant": "V", "task": "t", "sample_id": sample, "repetition": 0, "method": "teacher_forced",
         "kl": kl, "top1_match": [True] * 100, "logprob_delta": [-0.5] * 100}
        for sample, kl in (("a", spike), ("b", flat))
    ]
    cell = {c["variant"]: c for c in build_cells(RunData(variants, [], [], fidelity=rows), AnalysisSection())}["V"]
    positions = spike + flat
    assert cell["kl_p99"] == pytest.approx(float(np.percentile(positions, 99))) == pytest.approx(10.0)
    assert float(np.percentile([np.mean(spike), np.mean(flat)], 99)) == pytest.approx(0.298)  # what it used to be
    assert cell["kl_mean"] == pytest.approx(np.mean(positions))
    assert cell["fidelity_positions"] == 200 and cell["fidelity_items"] == 2
    assert cell["top1_agreement"] == 1.0 and cell["logprob_delta_mean"] == pytest.approx(-0.5)


class _NoTeacherForcing:
    """A backend that can generate but not score given tokens."""

    def __init__(self, spec) -> None:
        self._inner = MockBackend(spec)
        self.default_concurrency = 1

    async def open(self):
        return await self._inner.open()

    async def generate(self, request):
        return await self._inner.generate(request)

    async def loglikelihood(self, context, continuations):
        return await self._inner.loglikelihood(context, continuations)

    async def close(self) -> None:
        await self._inner.close()


class _PlainPlugin:
    @hookimpl
    def qframe_register_backends(self, register) -> None:
        register("plain", _NoTeacherForcing, "a backend without teacher_force")


def test_a_backend_without_the_capability_is_named_in_one_line(host: PluginHost, run_experiment) -> None:
    host.add_plugin(_PlainPlugin(), "plain", "qframe-plain-test", "0.0")
    data = config(quants=("F16", "Q8_0"))
    data["variants"] = [{"id": "plain-Q4", "backend": "plain", "model": "tiny-Q4_0", "quant": "Q4_0",
                         "options": {"responses": RESPONSES}}]
    session, outcome = run_experiment(host, data)
    assert outcome.exit_code == 0
    assert {r["variant"] for r in fidelity_rows(session)} == {"F16", "Q8_0"}
    notes = session.manifest["fidelity"]["notes"]
    assert len(notes) == 1 and "capability absent" in notes[0] and "plain-Q4" in notes[0]
    report = (session.path / "report.md").read_text()
    assert report.count("capability absent") == 1


def test_shared_prefix_stays_available_as_an_option(host, run_experiment) -> None:
    session, _ = run_experiment(host, config(method="shared_prefix"))
    rows = fidelity_rows(session)
    assert rows and {r["method"] for r in rows} == {"shared_prefix"}
    assert all(r["logprob_delta"] is None for r in rows)
    cells = {c["variant"]: c for c in session_analysis(session)["cells"]}
    assert cells["Q2_K"]["fidelity_method"] == "shared_prefix"
    assert "Method: shared_prefix" in (session.path / "report.md").read_text()


def test_fidelity_runs_by_default_only_when_logprobs_are_requested(host, run_experiment, tmp_path) -> None:
    session, _ = run_experiment(host, config(top_logprobs=0), run_id="off")
    assert fidelity_rows(session) == [] and "fidelity" not in session.manifest
    session, _ = run_experiment(host, config(top_logprobs=0, enabled=True), run_id="on")
    assert len(fidelity_rows(session)) == 18
    with pytest.raises(ConfigError, match="fidelity.method"):
        structure_experiment(config(top_logprobs=0, enabled=True, method="shared_prefix"))
