"""``qframe judge-check``: how far a judge agrees with labels people (or a trusted judge) gave.

A labelled file holds one response per row: ``prompt``, ``response`` and ``label`` (the label the
judge should give, in the judge's own words: ``refusal``/``compliance`` for refusal judges,
``truthful``/``untruthful`` for the truthfulness template...). Optional columns tell the judge what
an item probes: ``category`` (``harmful``, ``benign``, ``truthfulness``, ``bias``; default from the
command line), and for truthfulness ``reference``, ``correct_answers`` and ``incorrect_answers``
(a JSON list, or text separated by ``;``). CSV (with a header row) and JSON Lines are read;
column names are matched case-insensitively.

The judge runs over every row exactly as it would in a run, and its verdicts are compared with
the labels by :func:`qframe.analysis.verdict_summaries.judge_agreement`: raw agreement, Cohen's
kappa with a bootstrap CI and the confusion table, on rows the judge decided.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from qframe.analysis.verdict_summaries import UNDECIDED, Agreement, is_decided, judge_agreement
from qframe.config import JudgeSection, load_experiment
from qframe.data.datafiles import SourceRow, read_rows, require_columns
from qframe.plugin_api.errors import BadInputError, ConfigError
from qframe.plugin_api.plugins import PluginHost
from qframe.plugin_api.protocols import BackendSpec, Sample, ScoringItem, Verdict
from qframe.run.stages import make_judge

REQUIRED_COLUMNS = ("prompt", "response", "label")
LIST_COLUMNS = ("correct_answers", "incorrect_answers")
REFERENCE_RATER = "<labels>"
"""The id the file's labels go by in the comparison (never a valid judge id: it has brackets)."""
TASK = "judge-check"


@attrs.frozen
class LabelledRow:
    """One labelled response; ``location`` names its line for error messages."""

    location: str
    prompt: str
    response: str
    label: str
    category: str
    reference: str | None = None
    lists: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, hash=False)


def read_labelled(path: Path, default_category: str) -> list[LabelledRow]:
    """The rows of a CSV or JSONL labelled file; a malformed file raises a one-line BadInputError."""
    rows = read_rows(path, ("csv", "jsonl"))
    require_columns(rows, REQUIRED_COLUMNS)
    return [_labelled_row(row, default_category) for row in rows]


def judge_section(
    host: PluginHost,
    judge_id: str,
    config: Path | None,
    plugin: str | None,
    backend: str | None,
    model: str | None,
    options: Mapping[str, Any],
) -> JudgeSection:
    """The judge to check: ``[judges.<id>]`` of a config file, or one described on the command line.

    Without ``config`` and ``plugin`` the judge id names the plugin (``--judge regex_refusal``).
    """
    if config is not None:
        if plugin or backend or model or options:
            raise ConfigError(
                "--config: the judge comes from the config file; drop --plugin, --backend, --model, --option"
            )
        judges = load_experiment(config, host).judges
        if judge_id not in judges:
            known = ", ".join(judges) or "none"
            raise ConfigError(f"--judge: {config} has no judge {judge_id!r} (its judges: {known})")
        return judges[judge_id]
    plugin = plugin or judge_id
    host.get("judges", plugin, where="--plugin" if plugin != judge_id else "--judge")
    if backend is not None:
        host.get("backends", backend, where="--backend")
    return JudgeSection(plugin=plugin, backend=backend, model=model, options=dict(options))


def labelled_items(rows: Sequence[LabelledRow]) -> list[ScoringItem]:
    """One scoring item per row, as a run would hand it to a judge."""
    return [
        ScoringItem(
            variant=REFERENCE_RATER,
            task=TASK,
            sample=Sample(
                id=_row_id(index),
                prompt=row.prompt,
                reference=row.reference,
                metadata={"category": row.category} | {key: list(value) for key, value in row.lists.items()},
            ),
            repetition=0,
            row={"text": row.response, "prompt": row.prompt, "completion_tokens": None},
        )
        for index, row in enumerate(rows)
    ]


async def run_judge(
    host: PluginHost, judge_id: str, section: JudgeSection, items: Sequence[ScoringItem]
) -> list[Verdict]:
    """The judge's verdicts on the items; its model (if any) comes from any registered backend."""

    def backend_for(spec: BackendSpec):
        return host.get("backends", spec.backend).factory(spec)

    return list(await make_judge(host, judge_id, section, backend_for).judge(items))


@attrs.frozen
class JudgeCheck:
    """A judge's verdicts against the file's labels; ``agreement`` is None with no decided row."""

    judge: str
    rows: int
    judge_labels: Mapping[str, int] = attrs.field(hash=False)
    file_labels: Mapping[str, int] = attrs.field(hash=False)
    agreement: Agreement | None


def compare(rows: Sequence[LabelledRow], verdicts: Sequence[Verdict], judge_id: str) -> JudgeCheck:
    """Agreement of the verdicts with the labels, on the rows the judge decided."""
    judged = [_verdict_row(index, judge_id, verdict.label) for index, verdict in enumerate(verdicts)]
    labelled = [_verdict_row(index, REFERENCE_RATER, row.label) for index, row in enumerate(rows)]
    decided = {verdict.label for verdict in verdicts if is_decided(verdict.label)}
    expected = {row.label for row in rows}
    if decided and not decided & expected:
        raise BadInputError(
            f"the file's labels ({', '.join(sorted(expected))}) share none with the judge's "
            f"({', '.join(sorted(decided))}); write the labels in the judge's words"
        )
    return JudgeCheck(
        judge=judge_id,
        rows=len(rows),
        judge_labels=Counter(verdict.label for verdict in verdicts),
        file_labels=Counter(row.label for row in rows),
        agreement=judge_agreement([*judged, *labelled], judge_id, REFERENCE_RATER),
    )


def report_lines(check: JudgeCheck, source: Path) -> list[str]:
    """The printed report: counts, agreement, kappa with its CI and the confusion table."""
    counts = ", ".join(f"{label} {n}" for label, n in check.judge_labels.most_common())
    lines = [f"judge {check.judge!r} on {check.rows} labelled rows of {source}: {counts}"]
    undecided = sum(n for label, n in check.judge_labels.items() if label in UNDECIDED)
    result = check.agreement
    if result is None:
        return [*lines, "no row was decided by the judge: nothing to compare"]
    lines += [
        f"rows compared: {result.items} ({undecided} left out: the judge's unparsed, error or n/a verdicts)",
        f"agreement: {result.agreement:.1%}",
        f"Cohen's kappa: {result.kappa:+.3f}, 95% CI [{result.low:+.3f}, {result.high:+.3f}] "
        "(percentile bootstrap over rows, 1000 resamples)",
        "confusion (rows: file label, columns: judge label):",
    ]
    labels = list(dict.fromkeys(label for pair in result.confusion for label in pair))
    width = max(12, *(len(label) + 2 for label in labels))
    lines.append(" " * width + "".join(f"{label:>{width}}" for label in labels))
    for expected in labels:
        cells = "".join(f"{result.confusion.get((judged, expected), 0):>{width}}" for judged in labels)
        lines.append(f"{expected:<{width}}{cells}")
    return lines


# --------------------------------------------------------------------------------------------


def _verdict_row(index: int, judge: str, label: str) -> dict[str, Any]:
    return {
        "variant": REFERENCE_RATER,
        "task": TASK,
        "sample_id": _row_id(index),
        "repetition": 0,
        "judge": judge,
        "label": label,
    }


def _row_id(index: int) -> str:
    """A row's item id; zero-padded so that sorted ids keep the file's order."""
    return f"row-{index:07d}"


def _labelled_row(row: SourceRow, default_category: str) -> LabelledRow:
    lists = {column: _answer_list(row, column, row.values[column]) for column in LIST_COLUMNS if row.values.get(column)}
    return LabelledRow(
        location=row.location,
        prompt=row.text("prompt"),
        response=row.optional_text("response"),
        label=row.text("label").lower(),
        category=row.optional_text("category") or default_category,
        reference=row.optional_text("reference") or None,
        lists=lists,
    )


def _answer_list(row: SourceRow, column: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return tuple(part.strip() for part in value if part.strip())
    raise BadInputError(f"{row.path}: {row.location}: '{column}' must be a list of texts or text separated by ';'")
