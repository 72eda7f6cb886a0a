"""The benchmark tasks: where the rows come from, how many items to draw, how to ask them.

Options of every benchmark task (``[[tasks]] options``):

* ``path``: a local Parquet or JSONL export, or a folder holding one (searched for ``split``);
* ``url``: an export to download once into ``<qframe cache>/data`` when ``path`` is not given;
* ``builtin = true``: the project's own small item set in the same schema, for offline demos;
* none of these: the benchmark's canonical public export, fetched by name at a pinned commit
  (:mod:`qframe_tasks_benchmarks.hub`);
* ``split``: the split to read from a folder (default ``test``; HellaSwag and TruthfulQA
  ``validation``, the splits that carry labels);
* ``mode``: ``"generate"`` (default: ask for the letter, read it back) or ``"loglikelihood"``
  (rank the choices by the backend's log-probabilities);
* ``template``: the generation prompt, with ``{question}``, ``{choices}`` and ``{labels}``;
* ``per_subject`` (MMLU only): items drawn from each subject, default 5 (57 x 5 = 285).

``arithmetic`` is built in only (:mod:`qframe_tasks_benchmarks.arithmetic`: 1,300 items the
project computes) and takes no source option.

Without a ``limit`` a task draws its default size (MMLU: ``per_subject`` of every subject); a
``limit`` draws that many instead (MMLU: the first ``limit`` of the stratified, interleaved draw).
Identical items (same question and choices) are kept once. ``provenance`` (after ``samples``)
names the files read and their SHA-256 (and the hub repository and commit), for the manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from qframe.plugin_api.errors import BadInputError, ConfigError
from qframe.data.hf_checkpoint import file_sha256
from qframe.plugin_api.protocols import ORIGIN, QualitySignal, Sample
from qframe_tasks_benchmarks.arithmetic import arithmetic_rows
from qframe_tasks_benchmarks.download import fetch
from qframe_tasks_benchmarks.formats import (
    RowError,
    RowReader,
    read_arc,
    read_hellaswag,
    read_mmlu,
    read_truthfulqa_mc,
)
from qframe_tasks_benchmarks.hub import EXPORTS, fetch_export
from qframe_tasks_benchmarks.prompts import DEFAULT_TEMPLATE, check_template, to_sample
from qframe_tasks_benchmarks.sampling import seeded_subset, stratified
from qframe_tasks_benchmarks.sources import data_files, read_rows

BUILTIN_DIR = Path(__file__).parent / "data"
MODES = ("generate", "loglikelihood")
SOURCE_OPTIONS = ("path", "url", "builtin")
COMMON_OPTIONS = (*SOURCE_OPTIONS, "split", "mode", "template")


@attrs.frozen
class Benchmark:
    """What differs between benchmarks: the row schema, the default split and the sample size.

    A benchmark with ``per_subject`` is sampled stratified by subject; the others draw
    ``default_size`` items.
    """

    name: str
    title: str
    read_row: RowReader
    split: str
    default_size: int | None = None
    per_subject: int | None = None
    generated: Callable[[], Iterable[Mapping[str, Any]]] | None = None
    """Rows computed by the project itself (no file, no source option)."""

    @property
    def builtin_file(self) -> Path:
        return BUILTIN_DIR / f"{self.name}.jsonl"


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "mmlu",
        "MMLU",
        read_mmlu,
        "test",
        per_subject=5,
    ),
    Benchmark(
        "arc_challenge",
        "ARC-Challenge",
        read_arc,
        "test",
        default_size=200,
    ),
    Benchmark(
        "hellaswag",
        "HellaSwag",
        read_hellaswag,
        "validation",
        default_size=200,
    ),
    Benchmark(
        "truthfulqa_mc",
        "TruthfulQA",
        read_truthfulqa_mc,
        "validation",
        default_size=200,
    ),
    Benchmark("arithmetic", "arithmetic drill", read_mmlu, "test", default_size=1300, generated=arithmetic_rows),
)


def make_task(name: str, options: Mapping[str, Any]) -> BenchmarkTask:
    """The benchmark task registered under ``name``, built from its options."""
    return BenchmarkTask(next(benchmark for benchmark in BENCHMARKS if benchmark.name == name), options)


class BenchmarkTask:
    """A multiple-choice benchmark; see the module docstring for its options."""

    default_metrics: tuple[str, ...] = ("accuracy_raw", "accuracy_rescored")
    """Loglikelihood mode adds ``accuracy_norm_char`` (the length-normalised pick, ``acc_norm``)."""
    quality = QualitySignal(("accuracy_rescored",))

    def __init__(self, benchmark: Benchmark, options: Mapping[str, Any]) -> None:
        self.benchmark = benchmark
        self.name = benchmark.name
        allowed = (*COMMON_OPTIONS, "per_subject") if benchmark.per_subject else COMMON_OPTIONS
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise self._config_error(unknown[0], f"unknown option; allowed: {', '.join(allowed)}")
        self.mode = str(options.get("mode", "generate"))
        if self.mode not in MODES:
            raise self._config_error("mode", f"must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.mode == "loglikelihood":
            self.default_metrics = (*BenchmarkTask.default_metrics, "accuracy_norm_char")
        self.template = check_template(str(options.get("template", DEFAULT_TEMPLATE)))
        self.split = str(options.get("split", benchmark.split))
        self.per_subject = self._per_subject(options)
        self._options = {key: options[key] for key in SOURCE_OPTIONS if key in options}
        self._check_source()
        self.provenance: dict[str, Any] | None = None

    def samples(self, limit: int | None, seed: int) -> list[Sample]:
        """A deterministic draw of items for ``seed``; see the module docstring for sizes."""
        items = self.all_samples()
        if self.per_subject is not None:
            return stratified(items, self.per_subject, seed, _sample_id, _subject)[:limit]
        return seeded_subset(items, limit or self.benchmark.default_size or len(items), seed, _sample_id)

    def all_samples(self) -> list[Sample]:
        """Every distinct item of the source, as samples."""
        source: Any = self.benchmark.title if self.benchmark.generated else self.source_path()
        rows = self.benchmark.generated() if self.benchmark.generated else read_rows(source, self.split)
        if not self.benchmark.generated:
            self.provenance = self._provenance(source)
        samples: dict[str, Sample] = {}
        for number, row in enumerate(rows, start=1):
            try:
                item = self.benchmark.read_row(row)
            except RowError as exc:
                raise BadInputError(
                    f"{source}: row {number}: {exc} (expected the {self.benchmark.title} schema)"
                ) from exc
            sample = to_sample(self.name, item, self.template)
            samples.setdefault(sample.id, sample)
        return list(samples.values())

    def source_path(self) -> Path:
        """The file or folder to read, downloading ``url`` into the cache first if needed."""
        if self._options.get("builtin"):
            return self.benchmark.builtin_file
        if "path" in self._options:
            return Path(str(self._options["path"])).expanduser()
        if "url" in self._options:
            return fetch(self.name, str(self._options["url"]))
        return fetch_export(self.name, EXPORTS[self.name])

    def _provenance(self, source: Path) -> dict[str, Any]:
        """Where the rows came from (``builtin``, ``path``, ``url`` or ``hub``: its repository,
        commit and file) and the SHA-256 of each file read, named relative to the source."""
        files = {
            str(file.relative_to(source)) if source.is_dir() else file.name: file_sha256(file)
            for file in data_files(source, self.split)
        }
        if self._options.get("builtin"):
            return {"source": "builtin", ORIGIN: f"built-in {self.benchmark.title} items", "files": files}
        if "path" in self._options:
            return {"source": "path", ORIGIN: str(self._options["path"]), "path": str(self._options["path"]), "files": files}
        if "url" in self._options:
            return {"source": "url", ORIGIN: str(self._options["url"]), "url": self._options["url"], "files": files}
        export = EXPORTS[self.name]
        return {"source": "hub", ORIGIN: export.describe(), "repo": export.repo, "revision": export.revision,
                "file": export.filename, "files": files}

    def _check_source(self) -> None:
        if self.benchmark.generated:
            extra = [key for key in SOURCE_OPTIONS if key in self._options and key != "builtin"]
            if extra:
                raise self._config_error(extra[0], f"{self.name} is built in; it reads no data source")
            return
        builtin = self._options.get("builtin", False)
        if not isinstance(builtin, bool):
            raise self._config_error("builtin", f"must be true or false, got {builtin!r}")
        chosen = [key for key in SOURCE_OPTIONS if key in self._options and self._options[key] is not False]
        if len(chosen) > 1:
            raise self._config_error(chosen[1], f"set only one of options.{', options.'.join(SOURCE_OPTIONS)}")

    def _per_subject(self, options: Mapping[str, Any]) -> int | None:
        if self.benchmark.per_subject is None:
            return None
        value = options.get("per_subject", self.benchmark.per_subject)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self._config_error("per_subject", f"must be a positive integer, got {value!r}")
        return value

    def _config_error(self, option: str, message: str) -> ConfigError:
        return ConfigError(f"task {self.name}: options.{option}: {message}")


def _sample_id(sample: Sample) -> str:
    return sample.id


def _subject(sample: Sample) -> str:
    return str(sample.metadata["subject"])
