"""vLLM's own ``LLM.generate`` on a batch of prompts: the reference for bench/vllm_engine.py.

Run by the vLLM interpreter (it imports nothing from qframe):

    .venv-vllm/bin/python bench/vllm_direct.py MODEL_DIR PROMPTS.json OPTIONS.json RESULT.json

Prompts are rendered with the model's chat template exactly as qframe's worker renders them;
one warm-up call, then the whole batch is timed once. The result is written to RESULT.json
(vLLM's engine processes also write to standard output, so it is not the place for it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    model, prompts_path, options_path, result_path = sys.argv[1:5]
    prompts = json.loads(Path(prompts_path).read_text())
    options = json.loads(Path(options_path).read_text())
    os.environ["VLLM_CPU_KVCACHE_SPACE"] = str(options.pop("kv_cache_gib", 1))
    max_tokens = options.pop("max_tokens")
    from vllm import LLM, SamplingParams
    from vllm.inputs import TokensPrompt

    llm = LLM(model=model, seed=42, **options)
    tokenizer = llm.get_tokenizer()
    rendered = [
        TokensPrompt(
            prompt_token_ids=tokenizer(
                tokenizer.apply_chat_template(
                    [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
                ),
                add_special_tokens=False,
            )["input_ids"]
        )
        for p in prompts
    ]
    params = SamplingParams(max_tokens=max_tokens, temperature=0.0, seed=42, repetition_penalty=1.0)
    llm.generate(rendered[:1], params, use_tqdm=False)
    started = time.perf_counter()
    outputs = llm.generate(rendered, params, use_tqdm=False)
    seconds = time.perf_counter() - started
    tokens = sum(len(output.outputs[0].token_ids) for output in outputs)
    result = {"seconds": seconds, "tokens": tokens, "texts": [o.outputs[0].text for o in outputs]}
    Path(result_path).write_text(json.dumps(result))
