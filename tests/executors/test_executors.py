"""The executors hook: core's local executor is the default; config errors are one line."""

from __future__ import annotations

import pytest

from qframe.config import structure_experiment
from qframe.plugin_api.errors import ConfigError, UnknownPluginError
from qframe.run.executors import GenerationJob, LocalExecutor
from qframe.plugin_api.hookspecs import hookimpl
from qframe.run.session import EXIT_OK

CONFIG = {
    "experiment": {"name": "executors", "max_tokens": 8, "warmup": 0},
    "ladder": {"backend": "mock", "model": "m-{quant}", "quants": ["F16", "Q4_0"]},
    "tasks": [{"name": "mock", "limit": 6}],
}


class CountingExecutor:
    """Runs the job locally and counts the runs, to show the configured executor is the one used."""

    name = "counting"
    runs = 0

    def __init__(self, section):
        self.section = section

    async def run(self, job: GenerationJob):
        type(self).runs += 1
        return await LocalExecutor(self.section).run(job)


class CountingExecutorPlugin:
    @hookimpl
    def qframe_register_executors(self, register):
        register("counting", CountingExecutor, "test executor")


def test_local_is_the_default_executor_and_records_where_each_variant_ran(host, run_experiment):
    assert host.get("executors", "local").distribution == "qframe"
    session, outcome = run_experiment(host, CONFIG)
    assert outcome.exit_code == EXIT_OK
    for facts in session.manifest["variants"].values():
        placement = facts["placement"]
        assert placement["executor"] == "local" and placement["hardware"] and placement["engine"] == facts["engine"]


def test_a_registered_executor_runs_the_generation_stage(host, run_experiment):
    host.add_plugin(CountingExecutorPlugin(), "counting", "qframe-counting-executor", "0")
    CountingExecutor.runs = 0
    session, outcome = run_experiment(host, CONFIG | {"executor": {"name": "counting"}})
    assert outcome.exit_code == EXIT_OK and CountingExecutor.runs == 1
    assert session.store.read("generations").num_rows == 12


def test_executor_section_errors_name_the_key(host):
    from qframe.config import check_references

    with pytest.raises(UnknownPluginError, match="executor.name: unknown executor 'nope'; available: local, ray"):
        check_references(structure_experiment(CONFIG | {"executor": {"name": "nope"}}), host)
    with pytest.raises(ConfigError, match=r"executor.resources_per_variant: GPU: must be > 0, got 0"):
        structure_experiment(CONFIG | {"executor": {"resources_per_variant": {"GPU": 0}}})
    with pytest.raises(ConfigError, match=r"executor.resources.Q9: no such variant; variants: F16, Q4_0"):
        structure_experiment(CONFIG | {"executor": {"resources": {"Q9": {"GPU": 1}}}})
    with pytest.raises(ConfigError, match="executor.address"):
        structure_experiment(CONFIG | {"executor": {"address": 10001}})


def test_ray_executor_checks_its_address_and_maps_resources():
    from qframe_executor_ray.executor import actor_options, check_address

    for good in (None, "auto", "ray://head:10001", "10.0.0.1:6379"):
        check_address(good)
    with pytest.raises(ConfigError, match="executor.address: expected 'auto', 'ray://HOST:PORT'"):
        check_address("ray://head")
    assert actor_options({"GPU": 1, "memory": 8e9, "A100": 1}) == {
        "num_cpus": 1, "num_gpus": 1, "memory": 8_000_000_000, "resources": {"A100": 1}
    }
    assert actor_options({"CPU": 4}) == {"num_cpus": 4}


def test_ray_executor_refuses_a_variant_no_node_can_hold():
    from qframe_executor_ray.executor import check_feasible

    nodes = [{"CPU": 4.0, "memory": 8e9}, {"CPU": 2.0, "GPU": 1.0}]
    check_feasible({"a": {"GPU": 1}, "b": {"CPU": 4}}, nodes)
    with pytest.raises(ConfigError, match=r"variant 'big' asks for .*'GPU': 2.0.*largest per node: .*'GPU': 1.0"):
        check_feasible({"big": {"GPU": 2}}, nodes)
    with pytest.raises(ConfigError, match="variant 'both'"):
        check_feasible({"both": {"GPU": 1, "CPU": 4}}, nodes)  # no single node has both


def test_resume_can_finish_a_run_on_another_executor(host, run_experiment, tmp_path):
    import asyncio

    from qframe.run.session import execute, open_session, use_executor

    host.add_plugin(CountingExecutorPlugin(), "counting", "qframe-counting-executor", "0")
    session, _ = run_experiment(host, CONFIG | {"executor": {"name": "counting"}})
    rows = session.store.read("generations").to_pylist()
    session.store.append("generations", [rows[0] | {"error": "forced", "text": None}])
    reopened = open_session(session.path, host)
    with pytest.raises(UnknownPluginError, match="--executor: unknown executor 'nope'"):
        use_executor(reopened, "nope")
    CountingExecutor.runs = 0
    use_executor(reopened, "local")
    outcome = asyncio.run(execute(reopened, progress=False))
    assert outcome.exit_code == EXIT_OK and outcome.completed == 1 and CountingExecutor.runs == 0
    assert reopened.manifest["config"]["executor"]["name"] == "counting"  # the stored config is unchanged


def test_the_report_says_when_variants_ran_on_different_hardware():
    from qframe_report_markdown.sections import provenance

    def analysis(hardware_b: str) -> dict:
        variants = {
            "F16": {"model": "m", "quant": "F16", "placement": {"hardware": "1x NVIDIA H100", "node_id": "n1"}},
            "Q4_0": {"model": "m", "quant": "Q4_0", "placement": {"hardware": hardware_b, "node_id": "n2"}},
        }
        return {"manifest": {"run_id": "r", "variants": variants}}

    mixed = provenance(analysis("1x NVIDIA A10G"))
    assert "Variants ran on different hardware** (1x NVIDIA A10G; 1x NVIDIA H100)" in mixed
    assert "| 1x NVIDIA A10G (n2) |" in mixed
    assert "different hardware" not in provenance(analysis("1x NVIDIA H100"))
