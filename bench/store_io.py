"""Store: write and read back 100,000 generation rows with the Arrow store.

Rows are appended in parts of 1,000 (as a long run would flush them); reading returns one
pyarrow.Table with the latest row per key. Target: read under 1 s.

    .venv/bin/python bench/store_io.py
"""

from __future__ import annotations

import tempfile
import time

from qframe_store_arrow.store import ArrowRunStore

ROWS = 100_000
PART = 1_000


def main() -> None:
    rows = [
        {
            "variant": f"Q{i % 7}",
            "task": "mmlu",
            "sample_id": f"s{i // 7:06d}",
            "repetition": 0,
            "model": "model.gguf",
            "quant": f"Q{i % 7}",
            "mode": "generate",
            "prompt": "Question: which of the following is true? A) ... B) ... C) ... D) ...",
            "text": "The answer is B because the passage says so.",
            "prompt_tokens": 64,
            "completion_tokens": 12,
            "eval_ms": 180.0,
            "prompt_eval_ms": 40.0,
            "ttft_ms": 45.0,
            "wall_ms": 230.0,
            "attempts": 1,
        }
        for i in range(ROWS)
    ]
    with tempfile.TemporaryDirectory() as folder:
        store = ArrowRunStore(folder)
        started = time.perf_counter()
        for start in range(0, ROWS, PART):
            store.append("generations", rows[start : start + PART])
        written = time.perf_counter() - started
        started = time.perf_counter()
        table = store.read("generations")
        read = time.perf_counter() - started
        assert table.num_rows == ROWS
    print(f"rows: {ROWS} in {ROWS // PART} parts")
    print(f"write: {written:.3f} s ({written * 1e6 / ROWS:.1f} us/row)")
    print(f"read:  {read:.3f} s (target < 1 s)")


if __name__ == "__main__":
    main()
