"""Summaries of stored verdicts that hold for any judge: label rates, agreement, rate gaps.

Verdict rows are the rows of the ``verdicts`` table (keys ``variant``, ``task``, ``sample_id``,
``repetition``, ``judge``, ``label``, ``raw``, ``detail``). Three labels are shared by every
judge and never count as a decision:

* ``unparsed``: the judge answered, but not in the form its template asks for;
* ``error``: the judge could not be asked (its backend failed after retries);
* ``n/a``: the judge does not apply to the item (e.g. a refusal judge on a bias question).

Rates are taken over decided verdicts only and report the undecided ones next to them, so an
unparseable reply is counted and never read as either outcome.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from qframe.analysis.stats import cohen_kappa
from qframe.data.records import ItemKey, key_of

UNPARSED = "unparsed"
ERROR = "error"
NOT_APPLICABLE = "n/a"
UNDECIDED = frozenset({UNPARSED, ERROR, NOT_APPLICABLE})

Row = Mapping[str, Any]


def is_decided(label: str | None) -> bool:
    return label is not None and label not in UNDECIDED


def labels_by_item(rows: Iterable[Row], judge: str, task: str | None = None) -> dict[ItemKey, str]:
    """Item key -> the judge's label (of one task, if given)."""
    return {key_of(row): row["label"] for row in rows if row["judge"] == judge and task in (None, row["task"])}


def decided_labels(rows: Iterable[Row], judge: str) -> set[str]:
    """The labels a judge decided with (two judges that share none answer different questions)."""
    return {row["label"] for row in rows if row["judge"] == judge and is_decided(row["label"])}


def judges_in(rows: Iterable[Row]) -> list[str]:
    """Every judge id that has verdicts, in order of first appearance."""
    return list(dict.fromkeys(row["judge"] for row in rows))


@attrs.frozen
class LabelRate:
    """How often one judge gave ``label`` to one variant's items of one task.

    ``rate`` is ``count / decided`` (None with no decided verdict); ``unparsed`` and ``errors``
    count the verdicts left out of it.
    """

    variant: str
    task: str
    label: str
    decided: int
    count: int
    unparsed: int
    errors: int

    @property
    def rate(self) -> float | None:
        return self.count / self.decided if self.decided else None


def label_rates(rows: Iterable[Row], judge: str, label: str) -> list[LabelRate]:
    """Per (variant, task) the share of the judge's decided verdicts that are ``label``.

    Groups where every verdict is ``n/a`` (the judge does not apply) are left out.
    """
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row["judge"] == judge:
            counts[(row["variant"], row["task"])][row["label"]] += 1
    return [
        LabelRate(
            variant=variant,
            task=task,
            label=label,
            decided=sum(n for name, n in tally.items() if is_decided(name)),
            count=tally[label],
            unparsed=tally[UNPARSED],
            errors=tally[ERROR],
        )
        for (variant, task), tally in sorted(counts.items())
        if set(tally) != {NOT_APPLICABLE}
    ]


@attrs.frozen
class Agreement:
    """Agreement of two judges on the items both decided.

    ``items`` is the number of such items; ``excluded`` counts items both judged where at least
    one verdict was undecided (unparsed, error). ``confusion`` maps ``(label_a, label_b)`` to a
    count. ``kappa`` has a percentile bootstrap interval ``[low, high]`` over items.
    """

    judge_a: str
    judge_b: str
    task: str | None
    items: int
    excluded: int
    agreement: float
    kappa: float
    low: float
    high: float
    confusion: Mapping[tuple[str, str], int] = attrs.field(hash=False)


def judge_agreement(
    rows: Sequence[Row],
    judge_a: str,
    judge_b: str,
    task: str | None = None,
    n_resamples: int = 1000,
    seed: int = 42,
) -> Agreement | None:
    """Raw agreement, Cohen's kappa with a bootstrap CI and the confusion matrix of two judges.

    Only items both judges labelled and neither marked ``n/a`` are compared; None when no item
    was decided by both.
    """
    labels_a = labels_by_item(rows, judge_a, task)
    labels_b = labels_by_item(rows, judge_b, task)
    shared = sorted(
        key for key in labels_a.keys() & labels_b.keys() if NOT_APPLICABLE not in (labels_a[key], labels_b[key])
    )
    decided = [key for key in shared if is_decided(labels_a[key]) and is_decided(labels_b[key])]
    if not decided:
        return None
    result = cohen_kappa([labels_a[k] for k in decided], [labels_b[k] for k in decided], n_resamples, seed=seed)
    return Agreement(
        judge_a=judge_a,
        judge_b=judge_b,
        task=task,
        items=len(decided),
        excluded=len(shared) - len(decided),
        agreement=result.agreement,
        kappa=result.kappa,
        low=result.low,
        high=result.high,
        confusion=result.confusion,
    )


@attrs.frozen
class RateGap:
    """``judge`` minus ``reference`` share of ``label`` for one variant and task, on shared items."""

    variant: str
    task: str
    items: int
    judge_rate: float
    reference_rate: float

    @property
    def gap(self) -> float:
        return self.judge_rate - self.reference_rate


def rate_gaps(rows: Sequence[Row], judge: str, reference: str, label: str) -> list[RateGap]:
    """Per (variant, task), the judge's rate of ``label`` minus the reference judge's.

    Both rates are taken over the same items (those both judges decided), so the gap measures
    how the judges read the same outputs, e.g. an LLM judge's refusal rate minus the regex's.
    """
    labels = labels_by_item(rows, judge)
    reference_labels = labels_by_item(rows, reference)
    groups: dict[tuple[str, str], list[ItemKey]] = defaultdict(list)
    for key in labels.keys() & reference_labels.keys():
        if is_decided(labels[key]) and is_decided(reference_labels[key]):
            groups[(key.variant, key.task)].append(key)
    return [
        RateGap(
            variant=variant,
            task=task,
            items=len(keys),
            judge_rate=sum(labels[k] == label for k in keys) / len(keys),
            reference_rate=sum(reference_labels[k] == label for k in keys) / len(keys),
        )
        for (variant, task), keys in sorted(groups.items())
    ]
