"""Teacher-forced KL from a stored top-k vs full-vocabulary KL, on the same tokens, real SmolLM2 ladder.

For 20 question-answering prompts (as plain text, "Question: ...\\nAnswer:") the F16 baseline
generates up to 48 tokens (greedy). The fidelity stage's own code then runs on that output:
F16 scores its text teacher-forced (end-of-generation token included when it stopped on its own)
through ``LlamaEngine.teacher_force`` and keeps its top-k per position, rounded to the stored
precision (ids int32, log-probabilities float16); each variant scores the same token ids and
returns its log-probabilities at those ids plus the exact mass outside them, and
``compare_teacher_forced`` gives the per-position KL with the tail bounded by the exact masses.
The exact KL(F16 || variant) over the whole vocabulary is computed from the same full rows.

Reported per variant: the mean KL both ways and the relative error of the bounded KL for
k = 20, 64, 256 and 1024; the older estimate from two top-20 lists alone (``topk_kl``) for
comparison; and the storage of the stored reference per position (its Arrow columns as in the
``fidelity`` table) against a full float32 logit row.

    .venv/bin/python bench/kl_topk_vs_full.py
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from smollm2_ladder import THREADS, ladder, samples

from qframe.fidelity.positions import compare_teacher_forced
from qframe.fidelity.rows import scores_from_rows
from qframe.fidelity.topk import topk_kl
from qframe.plugin_api.protocols import TeacherForcedRequest
from qframe.data.records import schema
from qframe_llamacpp.engine import LlamaEngine

KS = (20, 64, 256, 1024)
STORED_K = 256
PROMPTS = 20
MAX_TOKENS = 48
QUANTS = ("Q8_0", "Q5_K_M", "Q4_K_M", "Q4_0", "Q2_K")


def stored_reference(tokens: list[int], rows: np.ndarray, k: int) -> dict:
    """The baseline's reference for one text as the fidelity table stores it (float16 log-probs)."""
    scores = scores_from_rows(tokens, rows, TeacherForcedRequest(prompt="", tokens=tuple(tokens), top_k=k))
    table = pa.Table.from_pylist([{
        "variant": "F16", "task": "qa", "sample_id": "x", "repetition": 0,
        "tokens": list(scores.tokens), "token_logprobs": list(scores.token_logprobs),
        "top_ids": [list(ids) for ids in scores.top_ids],
        "top_logprobs": [np.asarray(values, dtype=np.float16).tolist() for values in scores.top_logprobs],
        "rest_logprob": list(scores.rest_logprob),
    }], schema=schema("fidelity"))
    return table.to_pylist()[0] | {"nbytes": sum(table[c].nbytes for c in
                                                 ("tokens", "token_logprobs", "top_ids", "top_logprobs", "rest_logprob"))}


def bounded_kl(reference: dict, tokens: list[int], rows: np.ndarray) -> list[float]:
    request = TeacherForcedRequest(prompt="", tokens=tuple(tokens), at_ids=tuple(tuple(i) for i in reference["top_ids"]))
    scored = scores_from_rows(tokens, rows, request)
    return compare_teacher_forced(
        reference["top_ids"], reference["top_logprobs"], reference["rest_logprob"], reference["token_logprobs"],
        scored.at_logprobs, scored.rest_logprob, scored.top1, scored.token_logprobs,
    ).kl


def top20(row: np.ndarray) -> dict[str, float]:
    best = np.argpartition(-row, 20)[:20]
    return {str(int(t)): float(row[t]) for t in best}


def main() -> None:
    paths = ladder()
    prompts = [f"Question: {sample.prompt}\nAnswer:" for sample in samples("qa", {}, PROMPTS)]
    with LlamaEngine(paths["F16"], n_ctx=1024, n_threads=THREADS) as baseline:
        outputs = [(prompt, baseline.generate(prompt, MAX_TOKENS, chat=False)) for prompt in prompts]
        scored = [(prompt, *baseline.teacher_force(prompt, False, out.text, out.finish_reason == "stop"))
                  for prompt, out in outputs if out.text or out.finish_reason == "stop"]
    references = {k: [stored_reference(tokens, rows, k) for _, tokens, rows in scored] for k in KS}
    positions = sum(len(tokens) for _, tokens, _ in scored)
    vocab = scored[0][2].shape[1]
    ends = sum(out.finish_reason == "stop" for _, out in outputs)
    print(f"positions compared: {positions} over {len(scored)} texts ({ends} end with the stop token); vocabulary {vocab}")
    for k in KS:
        per_position = sum(r["nbytes"] for r in references[k]) / positions
        print(f"stored reference k={k}: {per_position:.0f} B per position vs full float32 row {vocab * 4} B "
              f"(ratio {per_position / (vocab * 4):.4f})")
    header = "".join(f" {'k=' + str(k):>9}" for k in KS)
    print(f"{'variant':<8} {'full KL':>9} {'top-20 lists':>13}{header}   (relative error of the mean)")
    for quant in QUANTS:
        exact, lists, bounded = [], [], {k: [] for k in KS}
        with LlamaEngine(paths[quant], n_ctx=1024, n_threads=THREADS) as variant:
            for index, (prompt, tokens, rows_b) in enumerate(scored):
                _, rows_v = variant.teacher_force(prompt, False, tokens, False)
                exact += np.sum(np.exp(rows_b) * (rows_b - rows_v), axis=1).tolist()
                lists += [topk_kl(top20(b), top20(v)) for b, v in zip(rows_b, rows_v, strict=True)]
                for k in KS:
                    bounded[k] += bounded_kl(references[k][index], tokens, rows_v)
        full = float(np.mean(exact))
        errors = "".join(f" {(np.mean(bounded[k]) - full) / full:>+9.2%}" for k in KS)
        print(f"{quant:<8} {full:>9.5f} {(np.mean(lists) - full) / full:>+13.2%}{errors}")


if __name__ == "__main__":
    main()
