"""lm-eval documents as qframe samples, built by lm-eval's own functions.

For each document, in lm-eval's order, the task's ``fewshot_context`` builds the prompt (few-shot
examples drawn by lm-eval's sampler, seeded by the experiment seed) and ``construct_requests``
the requests, as lm-eval's ``build_all_requests`` does (that method itself also caches and prints
progress bars, which a qframe run does not want). A multiple-choice document becomes one
loglikelihood sample (the shared context, one continuation per choice); a ``generate_until``
document a generation sample with the task's stop sequences and token budget, asked as plain
text (lm-eval applies no chat template unless told to).

A sample's id is the task name and lm-eval's own document hash (the ``doc_hash`` of its sample
logs), so it is stable across runs and across machines; a document that occurs twice is kept once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from qframe.plugin_api.errors import BadInputError
from qframe.plugin_api.protocols import Sample

DEFAULT_MAX_GEN_TOKS = 256
"""lm-eval's token budget for a generation when the task's ``generation_kwargs`` set none."""


def doc_hash(doc: Any) -> str:
    """lm-eval's hash of a document (SHA-256 of its indented JSON)."""
    from lm_eval.utils import handle_non_serializable, hash_string

    return hash_string(json.dumps(doc, indent=2, default=handle_non_serializable, ensure_ascii=False))


def set_fewshot(task: Any, num_fewshot: int | None, seed: int) -> int:
    """Apply lm-eval's few-shot rule (a task whose YAML fixes 0 keeps 0) and seed its sampler."""
    configured = task.get_config("num_fewshot")
    if num_fewshot is not None and configured != 0:
        task.set_config(key="num_fewshot", value=num_fewshot)
    elif configured is None:
        task.set_config(key="num_fewshot", value=0)
    task.set_fewshot_seed(seed=seed)
    return int(task.get_config("num_fewshot"))


def leaf_samples(
    leaf: str, task: Any, limit: int | None, shots: int, source: Sequence[Any], cluster: bool
) -> list[Sample]:
    """The first ``limit`` documents of one lm-eval task (all without a limit), as samples, each
    prompt with ``shots`` few-shot examples (the sampler seeded by :func:`set_fewshot`).

    ``source`` is how scoring finds the task again (``[name, include_paths]``); ``cluster`` puts
    each sample in the leaf task's cluster (the subjects of a group such as MMLU).
    """
    samples: dict[str, Sample] = {}
    for doc_id, doc in task.doc_iterator(limit=limit):
        context = task.fewshot_context(
            doc,
            num_fewshot=shots,
            system_instruction=None,
            apply_chat_template=False,
            fewshot_as_multiturn=False,
            chat_template=None,
            gen_prefix=task.doc_to_prefix(doc),
        )
        requests = task.construct_requests(
            doc=doc, ctx=context, metadata=(leaf, doc_id, 1), apply_chat_template=False, chat_template=None
        )
        requests = requests if isinstance(requests, list) else [requests]
        digest = doc_hash(doc)
        metadata = {"lmeval": {"task": leaf, "source": list(source), "doc_id": doc_id, "doc_hash": digest, "doc": doc}}
        sample_id = f"{leaf}/{digest[:16]}"
        build = _choice_sample if task.OUTPUT_TYPE == "multiple_choice" else _generation_sample
        samples.setdefault(sample_id, build(sample_id, task, doc, requests, metadata, leaf if cluster else None))
    if not samples:
        raise BadInputError(f"lm-eval task {leaf!r}: its evaluation split has no documents")
    return list(samples.values())


def _choice_sample(
    sample_id: str, task: Any, doc: Any, requests: Sequence[Any], metadata: dict[str, Any], group: str | None
) -> Sample:
    context = requests[0].arguments[0]
    choices = tuple(str(choice) for choice in task.doc_to_choice(doc))
    gold = task.doc_to_target(doc)
    if isinstance(gold, str):
        gold = choices.index(gold) if gold in choices else None
    answer = str(gold) if isinstance(gold, int) and 0 <= gold < len(choices) else None
    return Sample(
        id=sample_id,
        prompt=context,
        context=context,
        continuations=tuple(request.arguments[1] for request in requests),
        choices=choices,
        answer=answer,
        reference=choices[int(answer)] if answer is not None else None,
        group=group,
        metadata=metadata,
    )


def _generation_sample(
    sample_id: str, task: Any, doc: Any, requests: Sequence[Any], metadata: dict[str, Any], group: str | None
) -> Sample:
    context, generation_kwargs = requests[0].arguments[:2]
    until = generation_kwargs.get("until", ())
    stop = (until,) if isinstance(until, str) else tuple(until or ())
    target = task.doc_to_target(doc)
    return Sample(
        id=sample_id,
        prompt=context,
        reference=None if isinstance(target, list) else str(target),
        group=group,
        metadata=metadata,
        stop=tuple(stop),
        max_tokens=int(generation_kwargs.get("max_gen_toks", DEFAULT_MAX_GEN_TOKS)),
        chat=False,
    )
