"""KL divergence from top-k (k = 20) vs full-vocabulary KL, on the same tokens, real SmolLM2 ladder.

For 20 question-answering prompts (as plain text, "Question: ...\nAnswer:") the F16 baseline
generates up to 48 tokens (greedy). Every variant then scores that same text teacher-forced, giving its full log-softmax row
at each position. Per position the exact KL(F16 || variant) over the whole vocabulary is
compared with qframe's ``topk_kl`` computed from the two top-20 lists only (keyed by token id).
Reports, per variant, the mean KLD both ways and the relative error of the top-k estimate, and
the storage of a top-20 list (as stored in the generations table) against a full float32 row.

    .venv/bin/python bench/kl_topk_vs_full.py
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from smollm2_ladder import THREADS, ladder, samples

from qframe_llamacpp.engine import LlamaEngine
from qframe_metrics_fidelity.kl import topk_kl

K = 20
PROMPTS = 20
MAX_TOKENS = 48


def top_k(row: np.ndarray) -> dict[str, float]:
    best = np.argpartition(-row, K)[:K]
    return {str(int(t)): float(row[t]) for t in best}


def main() -> None:
    paths = ladder()
    prompts = [f"Question: {sample.prompt}\nAnswer:" for sample in samples("qa", {}, PROMPTS)]
    with LlamaEngine(paths["F16"], n_ctx=1024, n_threads=THREADS) as baseline:
        generated = [(p, baseline.generate(p, MAX_TOKENS, chat=False).text) for p in prompts]
        pairs = [(prompt, text) for prompt, text in generated if text]
        base_rows = [baseline.sequence_logprobs(prompt, text)[1] for prompt, text in pairs]
    positions = sum(len(rows) for rows in base_rows)
    vocab = base_rows[0].shape[1]
    stored = pa.array([list(top_k(row).items()) for rows in base_rows for row in rows],
                      type=pa.map_(pa.string(), pa.float64()))
    print(f"positions compared: {positions} over {len(base_rows)} texts; vocabulary {vocab}; k = {K}")
    print(f"storage per position: top-{K} list {stored.nbytes / positions:.0f} B vs full float32 row "
          f"{vocab * 4} B (ratio {stored.nbytes / positions / (vocab * 4):.4f})")
    print(f"{'variant':<8} {'mean KL full':>13} {'mean KL top-k':>14} {'relative error':>15}")
    for quant in ("Q8_0", "Q5_K_M", "Q4_K_M", "Q4_0", "Q2_K"):
        exact, approx = [], []
        with LlamaEngine(paths[quant], n_ctx=1024, n_threads=THREADS) as variant:
            for (prompt, text), rows_b in zip(pairs, base_rows, strict=True):
                rows_v = variant.sequence_logprobs(prompt, text)[1]
                for b, v in zip(rows_b, rows_v, strict=True):
                    exact.append(float(np.sum(np.exp(b) * (b - v))))
                    approx.append(topk_kl(top_k(b), top_k(v)))
        full, estimate = float(np.mean(exact)), float(np.mean(approx))
        print(f"{quant:<8} {full:>13.5f} {estimate:>14.5f} {(estimate - full) / full:>+15.2%}")


if __name__ == "__main__":
    main()
