"""``qframe rejudge``: add one judge's verdicts to a stored run, then compare it with the others.

The judge is a ``[judges.NAME]`` table of the run's config, or a new one described on the
command line (plugin, backend, model, options); a new judge is written into the manifest's
config once its verdicts are stored, so later resumes and rejudges keep it.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from qframe.analysis.verdict_summaries import ERROR, decided_labels, judge_agreement, judges_in, rate_gaps
from qframe.config import JudgeSection, config_hash, unstructure_experiment
from qframe.data.records import key_of
from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import ScoringItem
from qframe.run.session import Session

REFUSAL = "refusal"
"""The label refusal judges share (``regex_refusal``, and ``llm`` with its refusal template)."""


def parse_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as a TOML value (``3``, ``true``, ``["a", "b"]``), else as text."""
    key, separator, value = text.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"--option: expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), tomllib.loads(f"value = {value}")["value"]
    except tomllib.TOMLDecodeError:
        return key.strip(), value


def prepare_judge(
    session: Session,
    judge_id: str,
    plugin: str | None,
    backend: str | None,
    model: str | None,
    options: Mapping[str, Any],
) -> bool:
    """Make ``judge_id`` usable for this run; True when it is new (given by ``plugin``)."""
    judges = session.experiment.judges
    if plugin is None:
        if judge_id not in judges:
            known = ", ".join(judges) or "none"
            raise ConfigError(
                f"--judge: the run has no judge {judge_id!r} (its judges: {known}); add one with --plugin"
            )
        if backend or model or options:
            raise ConfigError(
                f"--judge: {judge_id!r} is configured in the run; --backend, --model and --option need --plugin"
            )
        return False
    if judge_id in judges:
        raise ConfigError(f"--judge: the run already has a judge {judge_id!r}; drop --plugin or choose another name")
    session.host.get("judges", plugin, where="--plugin")
    if backend is not None:
        session.host.get("backends", backend, where="--backend")
    judges[judge_id] = JudgeSection(plugin=plugin, backend=backend, model=model, options=dict(options))
    return True


def record_config(session: Session) -> None:
    """Store the session's (extended) config and its hash in the manifest."""
    session.manifest["config"] = unstructure_experiment(session.experiment)
    session.manifest["config_hash"] = config_hash(session.manifest["config"])
    session.save()


def items_to_judge(
    items: Sequence[ScoringItem], verdicts: Sequence[Mapping[str, Any]], judge_id: str, redo: bool
) -> list[ScoringItem]:
    """Every item with ``redo``; otherwise those without a verdict of the judge or with an ``error`` one."""
    if redo:
        return list(items)
    settled = {key_of(row) for row in verdicts if row["judge"] == judge_id and row["label"] != ERROR}
    return [item for item in items if (item.variant, item.task, item.sample.id, item.repetition) not in settled]


def label_counts(verdicts: Sequence[Mapping[str, Any]], judge_id: str) -> str:
    counts = Counter(row["label"] for row in verdicts if row["judge"] == judge_id)
    return ", ".join(f"{label} {count}" for label, count in counts.most_common()) or "no verdicts"


def agreement_table(verdicts: Sequence[Mapping[str, Any]], judge_id: str) -> list[str]:
    """One line per other judge: items both decided, raw agreement, Cohen's kappa and its 95% CI.

    Judges that share no label with this one (a pairwise judge next to a refusal judge) answer a
    different question and are listed as not comparable.
    """
    others = [judge for judge in judges_in(verdicts) if judge != judge_id]
    if not others:
        return [f"no other judge in this run to compare {judge_id!r} with"]
    lines = [
        f"agreement of {judge_id!r} with each judge (items both decided):",
        f"{'judge':<20} {'items':>6} {'agree':>7} {'kappa':>7} {'95% CI':>17} {'excluded':>9}",
    ]
    labels = decided_labels(verdicts, judge_id)
    for other in others:
        if not labels & decided_labels(verdicts, other):
            lines.append(f"{other:<20} {'-':>6}  not comparable: no label in common")
            continue
        result = judge_agreement(verdicts, judge_id, other)
        if result is None:
            lines.append(f"{other:<20} {0:>6}  no item decided by both")
            continue
        interval = f"[{result.low:+.3f}, {result.high:+.3f}]"
        lines.append(
            f"{other:<20} {result.items:>6} {result.agreement:>7.1%} {result.kappa:>+7.3f} {interval:>17} "
            f"{result.excluded:>9}"
        )
    return lines


def refusal_gap_table(verdicts: Sequence[Mapping[str, Any]], judge_id: str) -> list[str]:
    """Per variant and task, this judge's refusal rate minus each other refusal judge's, on shared items."""
    others = [
        other
        for other in judges_in(verdicts)
        if other != judge_id and REFUSAL in decided_labels(verdicts, other) & decided_labels(verdicts, judge_id)
    ]
    lines = []
    for other in others:
        lines += [
            f"refusal rate of {judge_id!r} minus {other!r} (items both decided):",
            f"{'variant':<20} {'task':<20} {'items':>6} {judge_id[:9]:>9} {other[:9]:>9} {'gap (pp)':>9}",
        ]
        for gap in rate_gaps(verdicts, judge_id, other, REFUSAL):
            lines.append(
                f"{gap.variant:<20} {gap.task:<20} {gap.items:>6} {gap.judge_rate:>9.1%} {gap.reference_rate:>9.1%} "
                f"{100 * gap.gap:>+9.1f}"
            )
    return lines
