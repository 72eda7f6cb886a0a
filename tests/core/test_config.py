"""Experiment config: structuring, ladder expansion and one-line errors with exit code 2."""

from __future__ import annotations

import tomllib

import pytest

from qframe.config import config_hash, structure_experiment, unstructure_experiment
from qframe.plugin_api.errors import ConfigError

BASE = """
[experiment]
name = "x"
[ladder]
backend = "mock"
model = "m-{quant}"
quants = ["F16", "Q4_0"]
[[tasks]]
name = "mock"
"""

TASK = '\n[[tasks]]\nname = "mock"\n'
LADDER = '\n[ladder]\nbackend = "mock"\nmodel = "m-{quant}"\nquants = ["F16", "Q4_0"]\n'

# (config text, text the one-line error must contain)
MALFORMED = [
    ('[experiment]\nname = "x"\nseed = "a"' + LADDER + TASK, "experiment.seed: expected int"),
    ('[experiment]\nname = "x"\nseed = 1.5' + LADDER + TASK, "experiment.seed: expected int"),
    ('[experiment]\nname = "x"\nseed = true' + LADDER + TASK, "experiment.seed: expected int"),
    ('[experiment]\nname = "x"\ntemperature = "hot"' + LADDER + TASK, "experiment.temperature: expected float"),
    ('[experiment]\nname = "x"\ntemperature = -1.0' + LADDER + TASK, "experiment.temperature: must be >= 0"),
    ('[experiment]\nname = "x"\nmax_tokens = 0' + LADDER + TASK, "experiment.max_tokens: must be > 0"),
    ('[experiment]\nname = "x"\nwarmup = -2' + LADDER + TASK, "experiment.warmup: must be >= 0"),
    ('[experiment]\nname = "x"\nfoo = 1' + LADDER + TASK, "experiment: unknown key 'foo'; allowed: name, seed"),
    ('[experiment]\nseed = 1' + LADDER + TASK, "experiment.name: required key is missing"),
    ('[experiment]\nname = ""' + LADDER + TASK, "experiment.name: must not be empty"),
    ("experiment = 3" + LADDER + TASK, "experiment: expected a table"),
    (LADDER + TASK, "experiment: required key is missing"),
    ('[experiment]\nname = "x"' + LADDER, "tasks: required key is missing"),
    ('[experiment]\nname = "x"\ntasks = []' + LADDER, "experiment: unknown key 'tasks'"),
    ('[experiment]\nname = "x"' + LADDER + '\n[[tasks]]\nlimit = 3', "tasks[0].name: required key is missing"),
    ('[experiment]\nname = "x"' + LADDER + TASK + "limit = -1", "tasks[0].limit: must be > 0"),
    ('[experiment]\nname = "x"' + LADDER + TASK + 'limit = "ten"', "tasks[0].limit: expected int"),
    ('[experiment]\nname = "x"' + LADDER + TASK + "options = 3", "tasks[0].options: expected a table"),
    ('[experiment]\nname = "x"' + LADDER + TASK + "colour = 3", "tasks[0]: unknown key 'colour'; allowed: name, id, limit"),
    ('[experiment]\nname = "x"' + LADDER + TASK + TASK, "tasks[1]: duplicate task id 'mock'"),
    ('[experiment]\nname = "x"\n[ladder]\nbackend = "mock"\nmodel = "m"\nquants = ["F16"]' + TASK, "ladder.model: must contain '{quant}'"),
    ('[experiment]\nname = "x"\n[ladder]\nbackend = "mock"\nmodel = "m-{quant}"\nquants = []' + TASK, "ladder.quants: must not be empty"),
    ('[experiment]\nname = "x"\n[ladder]\nbackend = "mock"\nmodel = "m-{quant}"\nquants = "F16"' + TASK, "ladder.quants"),
    ('[experiment]\nname = "x"\n[ladder]\nbackend = "mock"\nmodel = "m-{quant}"\nquants = ["F16"]\nbaseline = "Q8_0"' + TASK,
     "ladder.baseline: 'Q8_0' is not in ladder.quants; allowed: F16"),
    ('[experiment]\nname = "x"\n[ladder]\nmodel = "m-{quant}"\nquants = ["F16"]' + TASK, "ladder.backend: required key is missing"),
    ('[experiment]\nname = "x"' + TASK, "variants: no variants"),
    ('[experiment]\nname = "x"' + TASK + '\n[[variants]]\nid = "a"\nbackend = "mock"', "variants[0].model: required key is missing"),
    ('[experiment]\nname = "x"' + TASK + '\n[[variants]]\nid = "a"\nbackend = "mock"\nmodel = "m"\n[[variants]]\nid = "a"\nbackend = "mock"\nmodel = "n"',
     "variants[1].id: duplicate variant id 'a'"),
    ('[experiment]\nname = "x"' + TASK + '\n[[variants]]\nid = "a"\nbackend = "mock"\nmodel = "m"\nbaseline = true\n[[variants]]\nid = "b"\nbackend = "mock"\nmodel = "n"\nbaseline = true',
     "variants: more than one baseline (a, b); mark exactly one"),
    ('[experiment]\nname = "x"' + LADDER + TASK + '\n[schedule]\nmode = "random"', "schedule.mode: invalid value; allowed: 'sequential', 'round_robin'"),
    ('[experiment]\nname = "x"' + LADDER + TASK + "\n[schedule]\nblock_size = 0", "schedule.block_size: must be > 0"),
    ('[experiment]\nname = "x"' + LADDER + TASK + '\n[concurrency]\nmock = "many"', "concurrency.mock: expected int"),
    ('[experiment]\nname = "x"' + LADDER + TASK + "\n[concurrency]\nmock = 0", "concurrency.mock: must be >= 1"),
    ('[experiment]\nname = "x"' + LADDER + TASK + "\n[retry]\nattempts = 0", "retry.attempts: must be > 0"),
    ('[experiment]\nname = "x"' + LADDER + TASK + "\n[judges.safety]\nplugin = 3", "judges.safety.plugin: expected str"),
    ('[experiment]\nname = "x"' + LADDER + TASK + '\n[judges.safety]\nbackend = "mock"', "judges.safety.plugin: required key is missing"),
    ('[experiment]\nname = "x"\nmetrics = ["a"]' + LADDER + TASK, "experiment: unknown key 'metrics'"),
    ('metrics = ["ok", 3]\n[experiment]\nname = "x"' + LADDER + TASK, "metrics[1]: expected a table"),
]

# Names no installed plugin provides: (config text, expected message); checked by the CLI.
UNKNOWN_REFERENCES = [
    (BASE.replace('backend = "mock"', 'backend = "nope"'), "ladder.backend: unknown backend 'nope'; available: "),
    (BASE.replace('name = "mock"', 'name = "nope"'), "tasks[0].name: unknown task 'nope'; available: "),
    ('metrics = ["nope"]\n' + BASE, "metrics[0].name: unknown metric 'nope'"),
    (BASE + '\n[judges.safety]\nplugin = "nope"', "judges.safety.plugin: unknown judge 'nope'"),
    (BASE + '\n[store]\nname = "nope"', "store.name: unknown store 'nope'; available: arrow"),
]


def test_the_issue_example_structures(write_config, host):
    from tests.conftest import MOCK_LADDER

    experiment = structure_experiment(tomllib.loads(MOCK_LADDER))
    variants = experiment.resolved_variants()
    assert [v.id for v in variants] == ["F16", "Q8_0", "Q4_K_M", "Q2_K"]
    assert [v.model for v in variants] == ["tiny-F16", "tiny-Q8_0", "tiny-Q4_K_M", "tiny-Q2_K"]
    assert experiment.baselines() == {"F16": "F16", "Q8_0": "F16", "Q4_K_M": "F16", "Q2_K": "F16"}
    assert experiment.experiment.seed == 42 and experiment.experiment.temperature == 0.0
    assert experiment.experiment.max_tokens == 32
    assert experiment.tasks[0].limit == 200


def test_defaults():
    experiment = structure_experiment(tomllib.loads(BASE))
    assert experiment.experiment.seed == 42
    assert experiment.experiment.max_tokens == 256
    assert experiment.schedule.mode == "sequential"


@pytest.mark.parametrize(
    ("quants", "expected"),
    [(["Q4_0", "F16", "Q8_0"], "F16"), (["Q4_0", "Q8_0"], "Q8_0"), (["Q4_0", "Q2_K"], "Q4_0"), (["Q4_0", "BF16"], "BF16")],
)
def test_unmarked_baseline_prefers_full_precision_then_q8(quants, expected):
    text = BASE.replace('quants = ["F16", "Q4_0"]', f"quants = {quants}")
    experiment = structure_experiment(tomllib.loads(text))
    assert set(experiment.baselines().values()) == {expected}


def test_each_model_family_has_its_own_baseline():
    text = (
        '[experiment]\nname = "x"\n[[tasks]]\nname = "mock"\n'
        '[ladder]\nbackend = "mock"\nmodel = "a-{quant}"\nquants = ["Q4_0", "Q8_0"]\nfamily = "a"\n'
        '[[variants]]\nid = "b-f16"\nbackend = "mock"\nmodel = "b"\nquant = "F16"\nfamily = "b"\n'
        '[[variants]]\nid = "b-awq"\nbackend = "mock"\nmodel = "b-awq"\nquant = "AWQ"\nfamily = "b"\n'
    )
    experiment = structure_experiment(tomllib.loads(text))
    assert experiment.baselines() == {"b-f16": "b-f16", "b-awq": "b-f16", "a/Q4_0": "a/Q8_0", "a/Q8_0": "a/Q8_0"}


def test_metrics_accept_names_or_tables():
    config = tomllib.loads('metrics = ["a", {name = "b", options = {k = 1}}]\n' + BASE)
    experiment = structure_experiment(config)
    assert [(m.name, m.options) for m in experiment.metrics] == [("a", {}), ("b", {"k": 1})]


def test_resolved_config_round_trips_with_a_stable_hash():
    experiment = structure_experiment(tomllib.loads(BASE))
    data = unstructure_experiment(experiment)
    again = structure_experiment(data)
    assert unstructure_experiment(again) == data
    assert config_hash(data) == config_hash(unstructure_experiment(again))


def test_malformed_table_has_thirty_cases():
    assert len(MALFORMED) >= 30


@pytest.mark.parametrize(("text", "expected"), MALFORMED)
def test_malformed_config_gives_one_line_naming_the_key(text, expected):
    with pytest.raises(ConfigError) as caught:
        structure_experiment(tomllib.loads(text))
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(("text", "expected"), MALFORMED[:10] + UNKNOWN_REFERENCES)
def test_cli_reports_bad_config_in_one_line_with_exit_2(text, expected, write_config, cli):
    code, out, err = cli("validate", str(write_config(text)))
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert "Traceback" not in err


def test_cli_reports_toml_syntax_and_missing_file(write_config, cli, tmp_path):
    code, _, err = cli("validate", str(write_config("[experiment\nname=")))
    assert code == 2 and "not valid TOML" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("validate", str(tmp_path / "missing.toml"))
    assert code == 2 and "config file not found" in err
