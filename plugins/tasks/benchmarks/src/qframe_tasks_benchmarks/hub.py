"""The public exports a benchmark reads when the config names no source: fetched by name.

Each benchmark's canonical Hugging Face export is pinned to a commit, so every machine reads the
same bytes; the file is downloaded once with ``huggingface_hub`` into qframe's hub cache
(:func:`qframe.data.cache.hub_cache_dir`) and read from there afterwards. ``HF_HUB_OFFLINE=1`` reads
the cache only, and ``HF_ENDPOINT`` names another hub (a mirror), both read when a task is built.
A file missing while offline, or a download that fails, is one line saying what to run.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from qframe.data.cache import hub_cache_dir
from qframe.plugin_api.errors import BadInputError, first_line

OFFLINE_ENV = "HF_HUB_OFFLINE"
ENDPOINT_ENV = "HF_ENDPOINT"


@attrs.frozen
class HubExport:
    """One file of a dataset repository at a pinned commit."""

    repo: str
    revision: str
    filename: str

    def describe(self) -> str:
        return f"{self.repo}@{self.revision[:8]}/{self.filename}"


EXPORTS: dict[str, HubExport] = {
    "mmlu": HubExport("cais/mmlu", "c30699e8356da336a370243923dbaf21066bb9fe", "all/test-00000-of-00001.parquet"),
    "arc_challenge": HubExport(
        "allenai/ai2_arc", "210d026faf9955653af8916fad021475a3f00453", "ARC-Challenge/test-00000-of-00001.parquet"
    ),
    "hellaswag": HubExport(
        "Rowan/hellaswag", "218ec52e09a7e7462a5400043bb9a69a41d06b76", "data/validation-00000-of-00001.parquet"
    ),
    "truthfulqa_mc": HubExport(
        "truthfulqa/truthful_qa", "741b8276f2d1982aa3d5b832d3ee81ed3b896490",
        "multiple_choice/validation-00000-of-00001.parquet",
    ),
}
"""Benchmark -> its canonical export (the split qframe reads: MMLU and ARC test, the others validation)."""


def fetch_export(task: str, export: HubExport) -> Path:
    """The cached copy of ``export``, downloading it first unless ``HF_HUB_OFFLINE`` is set."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    offline = os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
    try:
        return Path(
            hf_hub_download(
                export.repo,
                export.filename,
                repo_type="dataset",
                revision=export.revision,
                cache_dir=hub_cache_dir(),
                endpoint=os.environ.get(ENDPOINT_ENV) or None,
                local_files_only=offline,
            )
        )
    except LocalEntryNotFoundError as exc:
        if offline:
            raise BadInputError(
                f"task {task}: {export.describe()} is not cached and {OFFLINE_ENV} is set; run "
                "`qframe data pull CONFIG` where the hub is reachable, or set options.path to a local copy"
            ) from None
        raise _failed(task, export, exc) from None
    except (HfHubHTTPError, OSError) as exc:
        raise _failed(task, export, exc) from None


def _failed(task: str, export: HubExport, exc: BaseException) -> BadInputError:
    return BadInputError(
        f"task {task}: downloading {export.describe()} failed ({first_line(exc)}); "
        "check the network (or HF_ENDPOINT), or set options.path to a local copy"
    )
