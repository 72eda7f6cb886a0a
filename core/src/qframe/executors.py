"""Executors run the generation stage; ``local`` (this process) is core's own and the default.

An executor receives a :class:`GenerationJob`: the experiment, the scheduled units, and the
driver's side of the run: the row sink (the run store's only writer), the progress display and
the callback that records each variant's model and placement in the manifest. Whatever runs the
items (this event loop, Ray actors on other machines), every row comes back to ``job.record`` on
the driver, so the store format, resume and analysis do not depend on the executor.

Work items and backend specs are plain attrs values built from config, so an executor that
ships them to other processes can pickle them; backends are built where they run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from qframe.config import Experiment, ExecutorSection, VariantSection
from qframe.hardware import describe_node
from qframe.hookspecs import hookimpl
from qframe.plan import Unit
from qframe.progress import RunProgress
from qframe.protocols import Backend, ModelInfo
from qframe.runner import BackendPool, GenerationStage, RowSink, StageResult

RecordModel = Callable[[VariantSection, ModelInfo, Mapping[str, Any]], None]
"""Records a variant's model facts and where it ran (its placement) in the manifest."""


@attrs.define
class GenerationJob:
    """What the driver hands an executor for one generation stage."""

    experiment: Experiment
    units: Sequence[Unit]
    sink: RowSink
    progress: RunProgress
    make_backend: Callable[[VariantSection], Backend]
    record_model: RecordModel = lambda variant, info, placement: None
    keep_open: frozenset[str] = frozenset()
    """Variants that will have units in a later job of this run: an executor may keep their
    models loaded until then (and must release them in ``release``)."""


class LocalExecutor:
    """Runs the units in this process's event loop (:class:`qframe.runner.GenerationStage`);
    models of ``job.keep_open`` variants stay loaded between jobs until :meth:`release`."""

    name = "local"

    def __init__(self, section: ExecutorSection) -> None:
        self.section = section
        self._backends = BackendPool()

    async def run(self, job: GenerationJob) -> StageResult:
        placement = describe_node(executor="local")

        def on_model_info(variant: VariantSection, info: ModelInfo) -> None:
            job.record_model(variant, info, placement | {"engine": info.engine})

        stage = GenerationStage(job.experiment, job.make_backend, job.sink, job.progress, on_model_info, self._backends)
        return await stage.run(job.units, job.keep_open)

    async def release(self) -> None:
        """Close the models kept loaded for later jobs."""
        await self._backends.close()


@hookimpl
def qframe_register_executors(register) -> None:
    register("local", LocalExecutor, "in this process, variant after variant as the schedule orders them (default)")
