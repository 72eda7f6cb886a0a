"""Executors run the generation stage; ``local`` (this process) is core's own and the default.

An executor (:class:`Executor`, registered with ``qframe_register_executors`` as an
:data:`ExecutorFactory`) receives a :class:`GenerationJob`: the experiment, the scheduled units, and the
driver's side of the run: the row sink (the run store's only writer), the progress display and
the callback that records each variant's model and placement in the manifest. Whatever runs the
items (this event loop, Ray actors on other machines), every row comes back to ``job.record`` on
the driver, so the store format, resume and analysis do not depend on the executor.

Work items and backend specs are plain attrs values built from config, so an executor that
ships them to other processes can pickle them; backends are built where they run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from qframe.config import ExecutorSection, Experiment, VariantSection
from qframe.data.hardware import describe_node
from qframe.plugin_api.protocols import Backend, ModelInfo
from qframe.run.plan import Unit
from qframe.run.progress import RunProgress
from qframe.run.runner import BackendPool, GenerationStage, RowSink, StageResult

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


@runtime_checkable
class Executor(Protocol):
    """Runs the generation stage of a run: in this process, or fanned out over a cluster.

    ``run`` must hand every row to ``job.sink`` and ``job.progress`` on the driver (the run
    store's single writer), call ``job.record_model`` once per variant it opens, and leave no
    item of ``job.units`` without a row unless it is cancelled or raises. A run may hand one
    executor several jobs (one per look of a run that stops when decided); an executor that keeps
    the models of ``job.keep_open`` loaded between them defines ``async release()``, which the run
    calls once after its last job.
    """

    name: str

    async def run(self, job: GenerationJob) -> StageResult: ...


ExecutorFactory = Callable[[ExecutorSection], Executor]
"""What ``qframe_register_executors`` registers: built from the config's ``[executor]`` section."""


class LocalExecutor:
    """Runs the units in this process's event loop (:class:`qframe.run.runner.GenerationStage`);
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
