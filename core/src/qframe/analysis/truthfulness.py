"""Truthfulness per variant from reference-based scores, next to the LLM judge's verdicts.

On tasks whose items probe truthfulness (``category = "truthfulness"``), every binary score named
``*_acc`` (``bleu_acc``, ``rouge_l_acc``, ``embedding_acc``: see :mod:`qframe.data.references`) is a
truthfulness rate that needs no judge model. For each (variant, task, such metric) a row gives:

- ``n`` and ``rate`` (share of items scored truthful);
- for non-baselines, the paired comparison with the baseline from the statistical tests
  (``delta_pp``, its CI ``ci_low_pp``/``ci_high_pp`` and ``p_holm``: McNemar, Holm-corrected);
- when a judge gave truthfulness verdicts on the task, the first such judge's ``judge_rate``,
  ``judge_n`` and ``judge_delta_pp`` on the same variant.

``agreement`` compares each reference metric with each truthfulness judge over every item of the
task both scored (all variants pooled): raw agreement and Cohen's kappa with its bootstrap CI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean
from typing import Any

from qframe.analysis.data import RunData
from qframe.analysis.safety import outcome_name
from qframe.analysis.stats import cohen_kappa
from qframe.config import AnalysisSection
from qframe.data.references import ACCURACY_SUFFIX

CATEGORY = "truthfulness"
JUDGE_OUTCOME = outcome_name("truthful", "")
"""Prefix of the judges' truthfulness outcomes (``truthful@<judge>``)."""
LABELS = {1.0: "truthful", 0.0: "untruthful"}


def truthfulness_summary(
    data: RunData, comparisons: Sequence[Mapping[str, Any]], settings: AnalysisSection
) -> dict[str, list[dict[str, Any]]]:
    """``{"rates": [...], "agreement": [...]}`` as described in the module docstring."""
    tasks = {task for (task, _), category in data.categories.items() if category == CATEGORY}
    metrics = [
        (task, m)
        for task, m in data.metric_keys
        if task in tasks and m.endswith(ACCURACY_SUFFIX) and _binary(data, task, m)
    ]
    judged = [(task, m) for task, m in data.metric_keys if task in tasks and m.startswith(JUDGE_OUTCOME)]
    tests = {(row["variant"], row["task"], row["metric"]): row for row in comparisons}
    rows = []
    for variant in data.variants:
        for task, metric in metrics:
            values = data.values.get((variant, task, metric))
            if not values:
                continue
            row: dict[str, Any] = {"variant": variant, "task": task, "metric": metric, "n": len(values),
                                   "rate": fmean(values.values())}
            row |= _delta_columns(tests.get((variant, task, metric)), "")
            judge = next((outcome for judge_task, outcome in judged if judge_task == task), None)
            verdicts = data.values.get((variant, task, judge)) if judge else None
            if verdicts:
                row |= {"judge": judge.removeprefix(JUDGE_OUTCOME), "judge_n": len(verdicts),
                        "judge_rate": fmean(verdicts.values())}
                row |= _delta_columns(tests.get((variant, task, judge)), "judge_")
            rows.append(row)
    agreement = [
        result
        for task, metric in metrics
        for judge_task, outcome in judged
        if judge_task == task and (result := _agreement(data, task, metric, outcome, settings)) is not None
    ]
    return {"rates": rows, "agreement": agreement}


def _binary(data: RunData, task: str, metric: str) -> bool:
    """Whether every variant's scores of this metric are 0 or 1 (a rate, not a similarity)."""
    return all(
        value in LABELS for variant in data.variants for value in data.values.get((variant, task, metric), {}).values()
    )


def _delta_columns(test: Mapping[str, Any] | None, prefix: str) -> dict[str, Any]:
    if test is None:
        return {}
    columns = {f"{prefix}delta_pp": 100 * test["delta"]}
    if not prefix:
        columns |= {
            "ci_low_pp": 100 * test["ci_low"],
            "ci_high_pp": 100 * test["ci_high"],
            "p_holm": test.get("p_holm"),
        }
    return columns


def _agreement(
    data: RunData, task: str, metric: str, outcome: str, settings: AnalysisSection
) -> dict[str, Any] | None:
    """Agreement of a reference metric with a judge over every variant's items of the task.

    Kappa compares labels, so it reads the items whose two values are both 0 or 1; an item whose
    repetitions disagree (a fraction) is left out and counted in ``fractional``.
    """
    scores, verdicts, fractional = [], [], 0
    for variant in data.variants:
        by_metric = data.values.get((variant, task, metric), {})
        by_judge = data.values.get((variant, task, outcome), {})
        for key in sorted(by_metric.keys() & by_judge.keys()):
            if by_metric[key] not in LABELS or by_judge[key] not in LABELS:
                fractional += 1
                continue
            scores.append(LABELS[by_metric[key]])
            verdicts.append(LABELS[by_judge[key]])
    if not scores:
        return None
    result = cohen_kappa(scores, verdicts, settings.bootstrap_resamples, settings.confidence)
    return {"task": task, "metric": metric, "judge": outcome.removeprefix(JUDGE_OUTCOME), "items": len(scores),
            "fractional": fractional,
            "agreement": result.agreement, "kappa": result.kappa, "low": result.low, "high": result.high,
            "confusion": {f"{a}|{b}": n for (a, b), n in result.confusion.items()}}
