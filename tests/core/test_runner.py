"""The async paired runner: schedules, concurrency, retries, warm-up, stored errors, resume."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from qframe.config import RetrySection, structure_experiment
from qframe.plugin_api.errors import RunStateError
from qframe.plugin_api.hookspecs import hookimpl
from qframe.run.plan import build_request, expand_items, schedule
from qframe.plugin_api.protocols import GenerationResult, ModelInfo, Sample
from qframe.run.runner import backoff_delay
from qframe.run.session import EXIT_ERRORS, EXIT_OK, open_session

LADDER = {"backend": "mock", "model": "tiny-{quant}", "quants": ["F16", "Q8_0", "Q4_K_M", "Q2_K"], "baseline": "F16"}


def config(**overrides):
    base = {
        "experiment": {"name": "t", "max_tokens": 16, "warmup": 0},
        "ladder": dict(LADDER),
        "tasks": [{"name": "mock", "limit": 20}],
        "retry": {"attempts": 3, "base_delay_s": 0.001, "max_delay_s": 0.002},
    }
    for key, value in overrides.items():
        base[key] = value if not isinstance(value, dict) else base.get(key, {}) | value
    return base


class CountingBackend:
    """Records calls and the most calls ever in flight at once."""

    default_concurrency = 3
    calls: Counter = Counter()
    in_flight = 0
    peak = 0

    def __init__(self, spec):
        self.spec = spec

    async def open(self):
        return ModelInfo(model=self.spec.model, digest="d" * 64, quant=self.spec.quant, engine="counting")

    async def close(self):
        return None

    async def generate(self, request):
        cls = type(self)
        cls.calls[(self.spec.model, request.prompt)] += 1
        cls.in_flight += 1
        cls.peak = max(cls.peak, cls.in_flight)
        await asyncio.sleep(0.002)
        cls.in_flight -= 1
        return GenerationResult(text=request.prompt, prompt_tokens=1, completion_tokens=1)

    async def loglikelihood(self, context, continuations):
        return [0.0] * len(continuations)


class CountingPlugin:
    @hookimpl
    def qframe_register_backends(self, register):
        register("counting", CountingBackend)


@pytest.fixture
def counting(host):
    CountingBackend.calls = Counter()
    CountingBackend.in_flight = CountingBackend.peak = 0
    host.add_plugin(CountingPlugin(), "counting", "qframe-counting-test", "0")
    return host


def test_every_variant_gets_the_same_items(host, run_experiment):
    session, outcome = run_experiment(host, config())
    assert outcome.exit_code == EXIT_OK
    rows = session.store.read("generations").to_pylist()
    by_variant = {}
    for row in rows:
        by_variant.setdefault(row["variant"], set()).add((row["sample_id"], row["prompt"]))
    assert len(by_variant) == 4
    assert len({frozenset(items) for items in by_variant.values()}) == 1
    assert len(rows) == 80


def test_sequential_schedule_runs_variant_after_variant():
    experiment = structure_experiment(config())
    from qframe_mock.task import MockTask

    samples = {"mock": MockTask({}).samples(10, 42)}
    units = schedule(expand_items(experiment, samples, {"mock": "generate"}), experiment.resolved_variants(), "sequential", 4)
    assert [u.variant.id for u in units] == ["F16", "Q8_0", "Q4_K_M", "Q2_K"]
    assert all(len(u.items) == 10 for u in units)


def test_round_robin_interleaves_blocks_and_rotates_the_first_variant():
    experiment = structure_experiment(config())
    from qframe_mock.task import MockTask

    samples = {"mock": MockTask({}).samples(10, 42)}
    items = expand_items(experiment, samples, {"mock": "generate"})
    units = schedule(items, experiment.resolved_variants(), "round_robin", 4)
    assert [u.variant.id for u in units[:8]] == ["F16", "Q8_0", "Q4_K_M", "Q2_K", "Q8_0", "Q4_K_M", "Q2_K", "F16"]
    assert [len(u.items) for u in units] == [4] * 8 + [2] * 4
    first_block = {tuple(sorted(i.sample.id for i in u.items)) for u in units[:4]}
    assert len(first_block) == 1  # every variant gets the same block of items
    assert sum(len(u.items) for u in units) == len(items)


def test_concurrency_limit_per_backend_is_respected(counting, run_experiment):
    cfg = config(ladder=LADDER | {"backend": "counting"}, concurrency={"counting": 2})
    _, outcome = run_experiment(counting, cfg)
    assert outcome.exit_code == EXIT_OK
    assert CountingBackend.peak == 2


def test_default_concurrency_comes_from_the_backend(counting, run_experiment):
    run_experiment(counting, config(ladder=LADDER | {"backend": "counting"}))
    assert CountingBackend.peak == 3


def test_warmup_calls_are_made_but_not_stored(counting, run_experiment):
    cfg = config(ladder=LADDER | {"backend": "counting"}, experiment={"warmup": 2})
    session, _ = run_experiment(counting, cfg)
    first_prompt = session.store.read("generations").to_pylist()[0]["prompt"]
    assert CountingBackend.calls[("tiny-F16", first_prompt)] == 3  # 2 warm-up + 1 timed
    assert session.store.read("generations").num_rows == 80


def test_faults_are_retried_and_remaining_errors_stored_with_nonzero_exit(host, run_experiment):
    cfg = config(
        ladder=LADDER | {"options": {"fault_rate": 0.2, "fault_seed": 7}},
        experiment={"timeout_s": 0.05},
        retry={"attempts": 2},
        tasks=[{"name": "mock", "limit": 100}],
    )
    session, outcome = run_experiment(host, cfg)
    rows = session.store.read("generations").to_pylist()
    assert len(rows) == 400  # every item is stored: done or with its error
    errors = [r for r in rows if r["error"]]
    assert errors and outcome.exit_code == EXIT_ERRORS
    kinds = Counter(r["error"].split(":")[0] for r in errors)
    assert set(kinds) == {"timeout", "TransientBackendError", "BackendResponseError"}
    assert all(r["attempts"] == 2 for r in errors)
    assert any(r["attempts"] == 2 and r["error"] is None for r in rows)  # a retry that passed
    assert session.manifest["status"] == "incomplete"


def test_resume_retries_only_failed_and_missing_items(host, run_experiment):
    cfg = config(ladder=LADDER | {"options": {"fault_rate": 0.3, "faults": ["error"]}}, retry={"attempts": 1})
    session, first = run_experiment(host, cfg)
    assert first.errors > 0
    completed_before = {
        (r["variant"], r["sample_id"]): r["completed_at"] for r in session.store.read("generations").to_pylist() if not r["error"]
    }
    import asyncio as aio

    from qframe.run.session import execute

    for _ in range(10):  # faults are drawn per attempt, so repeated resumes converge
        outcome = aio.run(execute(open_session(session.path, host), progress=False))
        if outcome.exit_code == EXIT_OK:
            break
    assert outcome.exit_code == EXIT_OK
    rows = session.store.read("generations").to_pylist()
    assert len(rows) == 80 and not any(r["error"] for r in rows)
    for row in rows:  # items done in the first run were not run again
        key = (row["variant"], row["sample_id"])
        if key in completed_before:
            assert row["completed_at"] == completed_before[key]


def test_resume_refuses_when_model_weights_changed(host, run_experiment, tmp_path):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"original")
    cfg = config(ladder=None, variants=[{"id": "a", "backend": "mock", "model": str(weights)},
                                        {"id": "b", "backend": "mock", "model": "other"}])
    cfg.pop("ladder")
    session, _ = run_experiment(host, cfg)
    rows = session.store.read("generations").to_pylist()
    session.store.append("generations", [r | {"error": "forced", "text": None} for r in rows[:1]])
    weights.write_bytes(b"changed")
    import asyncio as aio

    from qframe.run.session import execute

    with pytest.raises(RunStateError, match="variant 'a': model digest changed"):
        aio.run(execute(open_session(session.path, host), progress=False))


def test_loglikelihood_mode_stores_the_chosen_label(host, run_experiment):
    session, outcome = run_experiment(host, config(tasks=[{"name": "mock", "limit": 10, "options": {"mode": "loglikelihood"}}]))
    rows = session.store.read("generations").to_pylist()
    assert outcome.exit_code == EXIT_OK
    assert all(r["mode"] == "loglikelihood" and r["text"] in "ABCD" and len(r["choice_logprobs"]) == 4 for r in rows)


def test_an_items_own_stop_sequences_budget_and_prompt_mode_override_the_experiments():
    experiment = structure_experiment(config())
    own = build_request(experiment, Sample(id="a", prompt="Q:", stop=("Q:",), max_tokens=7, chat=False), seed=1)
    assert (own.stop, own.max_tokens, own.chat) == (("Q:",), 7, False)
    plain = build_request(experiment, Sample(id="b", prompt="Q:"), seed=1)
    settings = experiment.experiment
    assert (plain.stop, plain.max_tokens, plain.chat) == ((), settings.max_tokens, settings.chat)


def test_backoff_grows_exponentially_with_bounded_jitter():
    policy = RetrySection(attempts=5, base_delay_s=1.0, max_delay_s=5.0)
    rng = random.Random(0)
    delays = [backoff_delay(attempt, policy, rng) for attempt in range(4)]
    for attempt, delay in enumerate(delays):
        ceiling = min(5.0, 2**attempt)
        assert ceiling / 2 <= delay <= ceiling
