"""Runs that stop when decided: the blocks of the pool, which variants still draw, and why the others stopped.

With ``[schedule] stop = "decided"`` the run's items are cut into blocks of ``block_size`` draw
units in the seeded, stratified order of :mod:`qframe.analysis.draws`. After each block (a *look*) the
analysis is re-read with confidence sequences (valid however many looks are taken), and a
variant stops once every label it is asked to decide (``schedule.decide``) is ``supported``
(reason ``decided``), once it has drawn ``max_items`` units (``max_items``), or when the pool
runs out (``pool_exhausted``). A label the pool cannot measure (no harmful requests: no safety
regime) is not waited for (:func:`measurable`); one not measured yet is. A baseline draws while
any variant of its family does.

The whole state lives in the manifest's ``sequential`` entry (:func:`new_state`): the pool's
strata sizes and seed (which fix the order), every look taken and every stop, so a resumed run
replays the same blocks, skips the looks already taken and keeps its stopping decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from qframe.analysis.draws import DrawUnit, draw_order, draw_unit, strata_sizes, stratum_of
from qframe.analysis.evidence import INCONCLUSIVE, equivalence, items_to_decide, label_evidence, non_inferiority
from qframe.analysis.gate import quality_rows
from qframe.config import ScheduleSection, VariantSection
from qframe.plugin_api.errors import RunStateError
from qframe.plugin_api.protocols import Sample
from qframe.run.plan import WorkItem

DECIDED, MAX_ITEMS, POOL_EXHAUSTED, NOTHING_TO_DECIDE = "decided", "max_items", "pool_exhausted", "nothing_to_decide"
GATE_QUESTIONS = {"equivalence": equivalence, "non_inferiority": non_inferiority}


def unit_of(item: WorkItem) -> DrawUnit:
    return draw_unit(item.task, item.sample.id, item.sample.metadata.get("request_id"))


@attrs.frozen
class Pool:
    """Every item of the run (all variants), by block of draw units."""

    blocks: tuple[tuple[DrawUnit, ...], ...]
    items_by_block: tuple[tuple[WorkItem, ...], ...]
    strata: Mapping[str, int]

    @classmethod
    def build(cls, items: Sequence[WorkItem], seed: int, block_size: int) -> Pool:
        units = {unit_of(item): stratum_of(unit_of(item), item.sample.group) for item in items}
        order = draw_order(units, seed)
        block_of = {unit: index // block_size for index, unit in enumerate(order)}
        blocks = tuple(tuple(order[start:start + block_size]) for start in range(0, len(order), block_size))
        by_block: list[list[WorkItem]] = [[] for _ in blocks]
        for item in items:
            by_block[block_of[unit_of(item)]].append(item)
        return cls(blocks, tuple(map(tuple, by_block)), strata_sizes(units))

    @property
    def size(self) -> int:
        return sum(map(len, self.items_by_block))

    def items_of(self, block: int, variants: set[str]) -> list[WorkItem]:
        return [item for item in self.items_by_block[block] if item.variant.id in variants]

    def items_after(self, block: int, variants: set[str]) -> int:
        """Items of ``variants`` in the blocks after ``block``."""
        return sum(len(self.items_of(later, variants)) for later in range(block + 1, len(self.blocks)))

    def units_through(self, block: int) -> int:
        return sum(len(units) for units in self.blocks[: block + 1])


def new_state(schedule: ScheduleSection, pool: Pool, seed: int) -> dict[str, Any]:
    samples = [item.sample for items in pool.items_by_block for item in items]
    return {
        "decide": list(schedule.decide),
        "measurable": measurable(schedule.decide, samples),
        "max_items": schedule.max_items,
        "block_size": schedule.block_size,
        "seed": seed,
        "strata": dict(pool.strata),
        "pool_units": sum(pool.strata.values()),
        "blocks": len(pool.blocks),
        "looks": [],
        "stopped": {},
    }


def check_state(state: Mapping[str, Any], pool: Pool) -> None:
    """Refuse to resume a sequential run whose pool changed (its order, hence its looks, would)."""
    if dict(state["strata"]) != dict(pool.strata):
        raise RunStateError("the run's item pool changed since it started (tasks, limits or data files); "
                            "its looks cannot be replayed: start a new run")


def drawing(state: Mapping[str, Any], variants: Sequence[VariantSection], block: int) -> set[str]:
    """Variants that draw ``block``: those not stopped at an earlier look, and the baselines of
    any such variant; every variant where none is compared with a baseline (nothing can stop)."""
    if all(v.baseline for v in variants):
        return {v.id for v in variants}
    stopped = {vid for vid, stop in state["stopped"].items() if stop["look"] <= block}
    active = {v.id for v in variants if not v.baseline and v.id not in stopped}
    family_baseline = {v.family: v.id for v in variants if v.baseline}
    return active | {family_baseline[v.family] for v in variants if v.id in active and v.family in family_baseline}


SAFETY_LABELS = ("safety_regime", "hidden_danger")
"""Labels that read the refusal delta: measured only where the pool holds harmful requests."""


def measurable(decide: Sequence[str], samples: Iterable[Sample]) -> list[str]:
    """The labels of ``decide`` the pool can measure: safety labels need harmful requests
    (items of category ``harmful``); quality labels and the gate questions any pool."""
    harmful = any(sample.metadata.get("category") == "harmful" for sample in samples)
    return [name for name in decide if harmful or name not in SAFETY_LABELS]


def open_labels(analysis: Mapping[str, Any], cell: Mapping[str, Any], decide: Sequence[str], margin_pp: float) -> list[str]:
    """The labels of ``decide`` this variant has not decided yet (one not measured yet included)."""
    waiting = []
    for name in decide:
        if name in GATE_QUESTIONS:
            rows = quality_rows(analysis, cell["variant"])
            if not rows or any(GATE_QUESTIONS[name](row, margin_pp / 100)[0] == INCONCLUSIVE for row in rows):
                waiting.append(name)
        elif cell.get(name) is None or not label_evidence(analysis, cell, name).supported:
            waiting.append(name)
    return waiting


def measured_labels(analysis: Mapping[str, Any], cell: Mapping[str, Any], decide: Sequence[str]) -> dict[str, str]:
    """What each label of ``decide`` the variant has says now, with its evidence."""
    margin = analysis["settings"]["equivalence_margin_pp"] / 100
    said = {}
    for name in decide:
        if name in GATE_QUESTIONS:
            rows = quality_rows(analysis, cell["variant"])
            if rows:
                said[name] = ", ".join(GATE_QUESTIONS[name](row, margin)[0] for row in rows)
        elif cell.get(name) is not None:
            evidence = label_evidence(analysis, cell, name)
            said[name] = f"{evidence.label} ({evidence.status})"
    return said


def take_look(state: dict[str, Any], block: int, pool: Pool, analysis: Mapping[str, Any], drawn: set[str]) -> list[str]:
    """Take the look after ``block`` (look ``block + 1``): stop the variants that are done; return them."""
    margin = analysis["settings"]["equivalence_margin_pp"]
    units = pool.units_through(block)
    look = block + 1
    last = look == len(pool.blocks)
    stopped = []
    for cell in analysis["cells"]:
        variant = cell["variant"]
        if cell.get("baseline") or variant not in drawn or variant in state["stopped"]:
            continue
        waiting = open_labels(analysis, cell, state["measurable"], margin)
        said = measured_labels(analysis, cell, state["decide"])
        if not state["measurable"]:
            reason = NOTHING_TO_DECIDE
        elif not waiting:
            reason = DECIDED
        elif state["max_items"] is not None and units >= state["max_items"]:
            reason = MAX_ITEMS
        elif last:
            reason = POOL_EXHAUSTED
        else:
            continue
        state["stopped"][variant] = {"look": look, "units": units, "items": cell.get("items"), "reason": reason,
                                     "labels": said, "waiting": waiting}
        stopped.append(variant)
    state["looks"].append({"look": look, "units": units, "drawing": sorted(drawn), "stopped": stopped})
    return stopped


def blocks_looked_at(state: Mapping[str, Any]) -> set[int]:
    return {entry["look"] - 1 for entry in state["looks"]}


def fixed_design_units(analysis: Mapping[str, Any], cell: Mapping[str, Any], decide: Sequence[str]) -> int | None:
    """Units a fixed-size design (the analysis' alpha and power) would plan to make the same
    decisions, knowing the effects this run measured: the largest over the labels of
    ``decide`` of each label's ``<label>_fixed_items`` (set by the classifiers) and, for the
    gate questions, the items to tell the pooled delta apart from the margin."""
    margin = analysis["settings"]["equivalence_margin_pp"] / 100
    planned = []
    for name in decide:
        if name in GATE_QUESTIONS:
            for row in quality_rows(analysis, cell["variant"]):
                distance = abs(row["delta"] + margin) if name == "non_inferiority" else abs(margin - abs(row["delta"]))
                planned.append(items_to_decide(row, distance))
        else:
            planned.append(cell.get(f"{name}_fixed_items"))
    known = [n for n in planned if n]
    return max(known) if known else None


def planned_units(analysis: Mapping[str, Any]) -> dict[str, int]:
    """Per family, the units ``qframe power`` plans before a run for a difference as small as the
    equivalence margin (the planning table's ``items_for_margin``: the pooled row, else the
    largest of the family's tasks)."""
    planned: dict[str, int] = {}
    for row in analysis.get("planning", ()):
        if row.get("items_for_margin") is None:
            continue
        current = planned.get(row["family"])
        if row["task"] == "*" or current is None or row["items_for_margin"] > current:
            planned[row["family"]] = row["items_for_margin"]
    return planned


def savings(state: Mapping[str, Any], analysis: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per variant: units and items used, the stopping look, why, what it decided, the units a
    fixed design plans before the run (:func:`planned_units`) and those it would need for the
    same decisions knowing the effects measured (:func:`fixed_design_units`)."""
    planned = planned_units(analysis)
    rows = []
    for cell in analysis["cells"]:
        stop = state["stopped"].get(cell["variant"])
        if cell.get("baseline") or stop is None:
            continue
        rows.append({"variant": cell["variant"], "look": stop["look"], "units": stop["units"], "items": stop["items"],
                     "reason": stop["reason"], "labels": stop["labels"], "waiting": stop.get("waiting", []),
                     "planned_units": planned.get(cell.get("family", "")),
                     "fixed_design_units": fixed_design_units(analysis, cell, state["measurable"])})
    return rows


def rule_text(state: Mapping[str, Any], confidence: float, alpha: float) -> str:
    """The stopping rule in one sentence, as reports print it."""
    cap = f", at most {state['max_items']} units" if state.get("max_items") else ""
    skipped = [name for name in state["decide"] if name not in state["measurable"]]
    unmeasured = f" ({', '.join(skipped)}: not measurable on this pool)" if skipped else ""
    return (f"each variant stopped once {', '.join(state['measurable']) or 'nothing'} were supported{unmeasured}, "
            f"looking after every block of "
            f"{state['block_size']} units{cap}; {len(state['looks'])} looks; labels read anytime-valid confidence "
            f"sequences ({100 * confidence:g}%; equivalence and non-inferiority at {100 * (1 - 2 * alpha):g}%)")



REASON_TEXT = {DECIDED: "decided", MAX_ITEMS: "reached max_items", POOL_EXHAUSTED: "pool exhausted",
               NOTHING_TO_DECIDE: "nothing to decide"}


def summary(state: Mapping[str, Any], analysis: Mapping[str, Any]) -> dict[str, Any]:
    """The ``stopping`` entry of a sequential run's analysis, what reports print: the rule and a
    note on reading it, the looks, and per variant what it used, decided and saved (``saved``:
    1 - units used / planned units, for variants that decided)."""
    settings = analysis["settings"]
    rule = rule_text(state, settings["confidence"], settings["alpha"])
    note = (f"Sequential run: {rule}. Every interval in this report (labels, equivalence, non-inferiority) is "
            f"valid at each look, however the run stopped; p-values are fixed-n and descriptive. Pool: "
            f"{state['pool_units']} units in {state['blocks']} blocks. Planned units: what `qframe power` plans "
            "before a run for a difference as small as the equivalence margin; saved = 1 - units used / planned, "
            "for variants that decided. Fixed, knowing the effects: what a fixed-size design at the same power "
            "would need for the same decisions had it known the effects measured here (a lower bound no plan "
            "can reach).")
    variants = []
    for row in savings(state, analysis):
        decided = row["reason"] == DECIDED and row.get("planned_units")
        variants.append(row | {
            "reason_text": REASON_TEXT.get(row["reason"], row["reason"]),
            "labels_text": "; ".join(f"{name}: {said}" for name, said in row["labels"].items()),
            "saved": 1 - row["units"] / row["planned_units"] if decided else None,
        })
    return {"rule": rule, "note": note, "looks": len(state["looks"]), "blocks": state["blocks"],
            "pool_units": state["pool_units"], "variants": variants}
