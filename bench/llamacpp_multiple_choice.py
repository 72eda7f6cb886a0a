"""Multiple choice on SmolLM2 Q8_0: loglikelihood vs generation, and qframe vs a bare loop.

Same 50 built-in questions (20 MMLU-style, 20 ARC-style, 10 TruthfulQA-style), 2 threads:

1. loglikelihood ranking through qframe's backend (the context evaluated once, each choice
   decoded after it) vs a bare llama-cpp-python loop that evaluates the context, saves the
   state and reloads it for each choice: chosen answers must be identical; time ratio target
   at most 1.1 (both including the model load; alternated, each run in a fresh process);
2. generation (max_tokens 256, the task's lettered prompt) with answer extraction: seconds per
   question, raw and rescored accuracy, and the share of questions where the rescored letter
   equals the loglikelihood choice. There is no target: generation cost depends on verbosity.

    .venv/bin/python bench/llamacpp_multiple_choice.py
"""

from __future__ import annotations

import asyncio

import numpy as np
from smollm2_ladder import THREADS, alternate, fifty_questions, ladder, middle, timed

from qframe.plugin_api.protocols import BackendSpec, GenerationRequest
from qframe_llamacpp.backend import LlamaCppBackend
from qframe_metrics_text.answer_extraction import raw_choice, rescored_choice


def bare_choices(model: str) -> list[str]:
    """Context once, state saved, each choice decoded after the restored state."""
    from llama_cpp import Llama

    questions = fifty_questions()
    llm = Llama(model_path=model, n_ctx=512, n_threads=THREADS, seed=42, logits_all=True, verbose=False)
    chosen = []
    for sample in questions:
        context = llm.tokenize(sample.context.encode(), add_bos=True)
        llm.reset()
        llm.eval(context)
        state = llm.save_state()
        scores = []
        for continuation in sample.continuations:
            tokens = llm.tokenize((sample.context + continuation).encode(), add_bos=True)[len(context):]
            llm.load_state(state)
            llm.eval(tokens)
            rows = np.asarray(llm.scores[len(context) - 1 : len(context) - 1 + len(tokens)], dtype=np.float64)
            logprobs = rows - np.logaddexp.reduce(rows, axis=1, keepdims=True)
            scores.append(float(logprobs[np.arange(len(tokens)), tokens].sum()))
        chosen.append(sample.choice_labels[int(np.argmax(scores))])
    llm.close()
    return chosen


def qframe_choices(model: str) -> list[str]:
    return asyncio.run(qframe_session(model, fifty_questions(), generate=False))


async def qframe_session(model: str, questions, generate: bool) -> list[str]:
    backend = LlamaCppBackend(BackendSpec("llamacpp", model, "Q8_0", 42, {"n_threads": THREADS, "n_ctx": 1024}))
    await backend.open()
    answers = []
    try:
        for sample in questions:
            if generate:
                request = GenerationRequest(prompt=sample.prompt, max_tokens=256, temperature=0.0, seed=42)
                answers.append((await backend.generate(request)).text)
            else:
                scores = await backend.loglikelihood(sample.context, list(sample.continuations))
                answers.append(sample.choice_labels[int(np.argmax(scores))])
    finally:
        await backend.close()
    return answers


def main() -> None:
    model = str(ladder()["Q8_0"])
    questions = fifty_questions()
    generation_questions = [q for q in _generate_mode(questions)]
    (bare, qframe), (bare_chosen, qframe_chosen) = alternate(3, [(bare_choices, (model,)), (qframe_choices, (model,))])
    identical = qframe_chosen == bare_chosen
    accuracy = np.mean([chosen == q.answer for chosen, q in zip(qframe_chosen, questions, strict=True)])
    generation_s, texts = timed(lambda: asyncio.run(qframe_session(model, generation_questions, generate=True)))
    raw = [raw_choice(text, q.choice_labels) for text, q in zip(texts, generation_questions, strict=True)]
    rescored = [rescored_choice(text, q.choice_labels) for text, q in zip(texts, generation_questions, strict=True)]
    n = len(questions)
    print(f"questions: {n}, model {model.rsplit('/', 1)[-1]}, threads {THREADS}")
    print(f"loglikelihood, bare loop (state reuse): {middle(bare) / n:.3f} s/question (runs {', '.join(f'{s:.1f}' for s in bare)} s)")
    print(f"loglikelihood, through qframe:          {middle(qframe) / n:.3f} s/question (runs {', '.join(f'{s:.1f}' for s in qframe)} s)")
    print(f"time ratio qframe / bare: {middle(qframe) / middle(bare):.3f} (target <= 1.1); identical answers: {identical}")
    print(f"loglikelihood accuracy: {accuracy:.2f}")
    print(f"generation (max_tokens 256): {generation_s / n:.3f} s/question")
    print(f"generation raw accuracy:      {np.mean([c == q.answer for c, q in zip(raw, questions, strict=True)]):.2f}")
    print(f"generation rescored accuracy: {np.mean([c == q.answer for c, q in zip(rescored, questions, strict=True)]):.2f}")
    print(f"same answer in both modes:    {np.mean([c == l for c, l in zip(rescored, qframe_chosen, strict=True)]):.2f}")


def _generate_mode(questions):
    """The same questions with the generation-mode prompt (lettered choices)."""
    from smollm2_ladder import samples

    by_id = {}
    for task, count in (("mmlu", 20), ("arc_challenge", 20), ("truthfulqa_mc", 10)):
        by_id |= {s.id: s for s in samples(task, {"builtin": True}, count)}
    return [by_id[q.id] for q in questions]


if __name__ == "__main__":
    main()
