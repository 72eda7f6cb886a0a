"""The ``ray`` executor: one Ray actor per variant, rows streamed back to the driver.

- Placement: each variant gets its own actor (one model load), created with the resources it
  asks for (``[executor] resources_per_variant``, overridden per variant in
  ``[executor.resources]``), so Ray puts a large variant on a big GPU node and small ones
  wherever they fit, and queues what does not fit yet.
- Single writer: actors never touch the run store; every row comes back through an actor
  streaming generator to the driver, which writes it through the run's row sink. The store
  format, resume and analysis are those of a local run.
- Faults: when an actor's worker or node dies, the variant's items that have not come back are
  given to a new actor, at most ``max_retries`` times; after that they are stored as errors (so
  ``qframe resume`` retries them). A row is taken once per key, so nothing is written twice.
- Cancellation (Ctrl-C, SIGTERM, a failure elsewhere) kills the variant's actor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from qframe.config import ExecutorSection, VariantSection, unstructure_experiment
from qframe.plugin_api.errors import ConfigError
from qframe.run.executors import GenerationJob
from qframe.run.plan import WorkItem
from qframe.plugin_api.protocols import ModelInfo
from qframe.data.records import ItemKey, key_of
from qframe.run.runner import StageResult, base_row, gather_or_cancel

STREAM_INTERVAL_S = 0.25
"""Longest time an actor holds finished rows before sending them to the driver."""

_RAY_OPTION = {"CPU": "num_cpus", "GPU": "num_gpus", "memory": "memory"}


def check_address(address: str | None) -> None:
    """``auto``, ``local``, ``ray://host:port`` or ``host:port`` (a GCS address); None starts Ray here."""
    if address is None or address in ("auto", "local"):
        return
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"executor.address: expected 'auto', 'ray://HOST:PORT' or 'HOST:PORT', got {address!r}")


def actor_options(amounts: Mapping[str, float]) -> dict[str, Any]:
    """Ray actor options for a variant's resources: CPU, GPU and memory by their own options,
    any other name (a custom resource, an accelerator type) as a custom resource."""
    options: dict[str, Any] = {"num_cpus": 1}
    custom: dict[str, float] = {}
    for name, amount in amounts.items():
        if name in _RAY_OPTION:
            options[_RAY_OPTION[name]] = int(amount) if name == "memory" else amount
        else:
            custom[name] = amount
    if custom:
        options["resources"] = custom
    return options


def check_feasible(requests: Mapping[str, Mapping[str, float]], nodes: Sequence[Mapping[str, float]]) -> None:
    """Refuse a variant no node of the cluster could ever hold (Ray would queue it forever).

    An autoscaling cluster adds nodes on demand: set ``options = {wait_for_resources = true}``.
    """
    for variant_id, amounts in requests.items():
        needed = {"CPU": 1.0} | {name: float(amount) for name, amount in amounts.items()}
        if not any(all(node.get(name, 0.0) >= amount for name, amount in needed.items()) for node in nodes):
            largest = {name: max((node.get(name, 0.0) for node in nodes), default=0.0) for name in needed}
            raise ConfigError(
                f"executor.resources_per_variant: variant {variant_id!r} asks for {needed} but no node of the "
                f"cluster has that much (largest per node: {largest}); on an autoscaling cluster set "
                "executor.options.wait_for_resources = true"
            )


class RayExecutor:
    """Runs each variant's items in its own Ray actor; see the module docstring."""

    name = "ray"

    def __init__(self, section: ExecutorSection) -> None:
        check_address(section.address)
        self.section = section
        self.runtime_env = section.options.get("runtime_env")

    def connect(self) -> None:
        import ray

        if ray.is_initialized():
            return
        ray.init(
            address=self.section.address,
            runtime_env=self.runtime_env,
            namespace="qframe",
            log_to_driver=False,
            configure_logging=False,
        )

    async def run(self, job: GenerationJob) -> StageResult:
        import ray

        await asyncio.to_thread(self.connect)
        worker = ray.remote(max_restarts=0)(_worker_class())
        config = unstructure_experiment(job.experiment)
        items: dict[str, list[WorkItem]] = {}
        variants: dict[str, VariantSection] = {}
        for unit in job.units:
            items.setdefault(unit.variant.id, []).extend(unit.items)
            variants[unit.variant.id] = unit.variant
        requests = {vid: self.section.resources.get(vid, self.section.resources_per_variant) for vid in items}
        if not self.section.options.get("wait_for_resources", False):
            check_feasible(requests, [node["Resources"] for node in ray.nodes() if node["Alive"]])
        tracker = _Tracker(job, {variant_id: len(batch) for variant_id, batch in items.items()})
        await gather_or_cancel(
            [self._run_variant(worker, config, variants[vid], batch, job, tracker) for vid, batch in items.items()]
        )
        return tracker.result

    async def _run_variant(
        self,
        worker: Any,
        config: dict[str, Any],
        variant: VariantSection,
        items: Sequence[WorkItem],
        job: GenerationJob,
        tracker: _Tracker,
    ) -> None:
        import ray

        remaining: dict[ItemKey, WorkItem] = {item.key: item for item in items}
        lost = 0
        amounts = self.section.resources.get(variant.id, self.section.resources_per_variant)
        options = actor_options(amounts)
        while remaining:
            actor = worker.options(**options).remote(config, variant.id)
            try:
                async for reference in actor.run.remote(list(remaining.values()), STREAM_INTERVAL_S):
                    kind, payload = await reference
                    if kind == "model":
                        job.record_model(variant, ModelInfo(**payload["info"]), payload["placement"])
                        continue
                    for row in payload:
                        if remaining.pop(key_of(row), None) is not None:
                            tracker.record(row)
                return
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else None
                raise (cause or exc) from None  # the backend's own error (bad model file...)
            except _lost_worker_errors() as exc:
                lost += 1
                if lost > self.section.max_retries:
                    reason = f"ray worker lost {lost} times: {type(exc).__name__}"
                    for item in remaining.values():
                        tracker.record(base_row(item, job.experiment.experiment.seed) | {"error": reason, "attempts": lost})
                    return
                tracker.note_retry()
            finally:
                ray.kill(actor, no_restart=True)


class _Tracker:
    """Driver-side accounting: each row to the sink and the progress bar, per-variant counts."""

    def __init__(self, job: GenerationJob, totals: dict[str, int]) -> None:
        self.job = job
        self.totals = totals
        self.done = {variant_id: 0 for variant_id in totals}
        self.retries = 0
        self.result = StageResult()

    def record(self, row: dict[str, Any]) -> None:
        failed = row.get("error") is not None
        self.result.completed += not failed
        self.result.errors += failed
        self.job.sink.add(row)
        self.done[row["variant"]] += 1
        self.job.progress.advance(row.get("completion_tokens") or 0, failed)
        self._describe()

    def note_retry(self) -> None:
        self.retries += 1
        self._describe()

    def _describe(self) -> None:
        running = [f"{vid} {self.done[vid]}/{total}" for vid, total in self.totals.items() if 0 < self.done[vid] < total]
        retried = f", {self.retries} rescheduled" if self.retries else ""
        self.job.progress.describe(f"ray: {', '.join(running) or 'waiting'}{retried}")


def _lost_worker_errors() -> tuple[type[BaseException], ...]:
    """Ray's errors for an actor, worker process or node that died (not an error of our code)."""
    import ray.exceptions as errors

    names = ("RayActorError", "WorkerCrashedError", "NodeDiedError", "ObjectLostError", "OwnerDiedError",
             "ActorUnavailableError")
    return tuple(getattr(errors, name) for name in names if hasattr(errors, name))


def _worker_class() -> type:
    from qframe_executor_ray.worker import VariantWorker

    return VariantWorker
