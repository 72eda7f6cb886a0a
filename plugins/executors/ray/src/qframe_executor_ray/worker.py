"""The Ray actor behind one variant: builds the backend from config, runs items, streams rows back.

The actor is given plain data only (the experiment's config and picklable work items) and builds
everything else where it runs, with the plugins installed on that node. It runs the items with
core's :class:`qframe.run.runner.GenerationStage` (same retries, timeouts, warm-up and row shape as a
local run) and yields messages to the driver: first ``("model", facts)`` once the model is open,
then ``("rows", [row, ...])`` batches at most ``interval_s`` apart. It never touches the run store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import attrs

import qframe
from qframe.config import VariantSection, structure_experiment
from qframe.data.hardware import describe_node
from qframe.run.plan import Unit, WorkItem, backend_spec
from qframe.plugin_api.plugins import get_host
from qframe.run.progress import RunProgress
from qframe.plugin_api.protocols import ModelInfo


class _Outbox:
    """Collects the stage's rows (a row sink without a store) and the model facts, in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        if self.messages and self.messages[-1][0] == "rows":
            self.messages[-1][1].append(row)
        else:
            self.messages.append(("rows", [row]))

    def flush(self) -> None:
        """Rows leave with the next message; nothing to write here."""

    def take(self) -> list[tuple[str, Any]]:
        messages, self.messages = self.messages, []
        return messages


def placement_here(info: ModelInfo, host_versions: dict[str, str]) -> dict[str, Any]:
    """Where this actor runs: Ray node, the GPUs Ray gave it (or the CPU), engine and versions."""
    import ray

    context = ray.get_runtime_context()
    return describe_node(
        gpu_ids=[str(gpu) for gpu in ray.get_gpu_ids()],
        executor="ray",
        node_id=context.get_node_id(),
        node_ip=ray.util.get_node_ip_address(),
        engine=info.engine,
        versions={"qframe": qframe.__version__, "ray": ray.__version__, **host_versions},
    )


class VariantWorker:
    """One variant's model, loaded once in this actor; :meth:`run` streams its items back."""

    def __init__(self, config: dict[str, Any], variant_id: str) -> None:
        self.experiment = structure_experiment(config)
        self.variant: VariantSection = next(v for v in self.experiment.resolved_variants() if v.id == variant_id)
        self.host = get_host()

    async def run(self, items: Sequence[WorkItem], interval_s: float) -> AsyncIterator[tuple[str, Any]]:
        from qframe.run.runner import GenerationStage

        outbox = _Outbox()

        def on_model_info(variant: VariantSection, info: ModelInfo) -> None:
            facts = {"info": attrs.asdict(info), "placement": placement_here(info, self.host.versions())}
            outbox.messages.append(("model", facts))

        def make_backend(variant: VariantSection):
            spec = backend_spec(self.experiment, variant)
            return self.host.get("backends", spec.backend).factory(spec)

        stage = GenerationStage(self.experiment, make_backend, outbox, RunProgress(0, enabled=False), on_model_info)
        running = asyncio.ensure_future(stage.run([Unit(self.variant, tuple(items))]))
        try:
            while True:
                finished = running.done()
                for message in outbox.take():
                    yield message
                if finished:
                    break
                await asyncio.wait({running}, timeout=interval_s)
            running.result()  # a failure to open the model reaches the driver as itself
        finally:
            running.cancel()
