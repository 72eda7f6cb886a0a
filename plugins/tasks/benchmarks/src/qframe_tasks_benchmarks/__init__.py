"""Multiple-choice benchmarks read from public exports (Parquet or JSONL) or a small built-in set.

``sources`` finds and reads the rows, ``formats`` turns each benchmark's rows into choice items,
``sampling`` picks a deterministic subset, ``prompts`` phrases an item for generation or for
loglikelihood ranking, and ``task`` ties them into the registered tasks.
"""
