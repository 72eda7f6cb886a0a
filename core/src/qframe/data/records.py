"""Record types of a run and their Arrow schemas.

Every row is keyed by the work item ``(variant, task, sample_id, repetition)``; scores add the
metric name and verdicts the judge name. ``fidelity`` holds, per item, the baseline's reference
(its scored tokens with its top-k ids and log-probabilities per position; ids as int32 and
log-probabilities as float16, under 1% of a float32 logit row at k = 256 on a 49,152-token
vocabulary) and, for every other variant, its per-position comparison with that reference
(see :mod:`qframe.fidelity`). Keys are stable across resumes, so a store can keep
only the latest row per key. pyarrow is imported only when a schema is asked for.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import pyarrow


class ItemKey(NamedTuple):
    """Identity of one work item; identical for every variant of the same sample."""

    variant: str
    task: str
    sample_id: str
    repetition: int


KEY_COLUMNS: tuple[str, ...] = ItemKey._fields
TABLES: tuple[str, ...] = ("generations", "scores", "verdicts", "fidelity")
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "generations": KEY_COLUMNS,
    "scores": (*KEY_COLUMNS, "metric"),
    "verdicts": (*KEY_COLUMNS, "judge"),
    "fidelity": KEY_COLUMNS,
}


@cache
def schema(table: str) -> pyarrow.Schema:
    """The Arrow schema of one of :data:`TABLES`."""
    import pyarrow as pa

    key = [
        pa.field("variant", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("repetition", pa.int32(), nullable=False),
    ]
    if table == "generations":
        top_logprobs = pa.list_(pa.map_(pa.string(), pa.float64()))
        return pa.schema(
            key
            + [
                pa.field("seed", pa.int64()),
                pa.field("model", pa.string()),
                pa.field("quant", pa.string()),
                pa.field("mode", pa.string()),
                pa.field("group", pa.string()),
                pa.field("category", pa.string()),
                pa.field("request_id", pa.string()),
                pa.field("prompt", pa.string()),
                pa.field("text", pa.string()),
                pa.field("prompt_tokens", pa.int32()),
                pa.field("completion_tokens", pa.int32()),
                pa.field("finish_reason", pa.string()),
                pa.field("prompt_eval_ms", pa.float64()),
                pa.field("eval_ms", pa.float64()),
                pa.field("eval_tokens", pa.int32()),
                pa.field("ttft_ms", pa.float64()),
                pa.field("wall_ms", pa.float64()),
                pa.field("top_logprobs", top_logprobs),
                pa.field("choice_logprobs", pa.list_(pa.float64())),
                pa.field("error", pa.string()),
                pa.field("attempts", pa.int32()),
                pa.field("completed_at", pa.float64()),
            ]
        )
    if table == "scores":
        return pa.schema(
            key
            + [
                pa.field("metric", pa.string(), nullable=False),
                pa.field("value", pa.float64()),
                pa.field("params", pa.string()),
            ]
        )
    if table == "verdicts":
        return pa.schema(
            key
            + [
                pa.field("judge", pa.string(), nullable=False),
                pa.field("judge_model", pa.string()),
                pa.field("judge_digest", pa.string()),
                pa.field("label", pa.string()),
                pa.field("raw", pa.string()),
                pa.field("detail", pa.string()),
            ]
        )
    if table == "fidelity":
        floats = pa.list_(pa.float32())
        return pa.schema(
            key
            + [
                pa.field("reference", pa.string()),
                pa.field("method", pa.string()),
                pa.field("tokens", pa.list_(pa.int32())),
                pa.field("vocab_size", pa.int32()),
                pa.field("token_logprobs", floats),
                pa.field("top_ids", pa.list_(pa.list_(pa.int32()))),
                pa.field("top_logprobs", pa.list_(pa.list_(pa.float16()))),
                pa.field("rest_logprob", floats),
                pa.field("kl", floats),
                pa.field("top1_match", pa.list_(pa.bool_())),
                pa.field("logprob_delta", floats),
                pa.field("error", pa.string()),
                pa.field("completed_at", pa.float64()),
            ]
        )
    raise ValueError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")


def key_of(row: dict) -> ItemKey:
    return ItemKey(row["variant"], row["task"], row["sample_id"], int(row["repetition"]))
