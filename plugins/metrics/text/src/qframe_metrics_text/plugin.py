"""Registers the text metrics. rouge-score and sacrebleu load on first use."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy

DESCRIPTIONS = {
    "rouge_l": "ROUGE-L F-measure against the reference (rouge-score, stemmed)",
    "bleu": "sentence BLEU against the reference, 0-1 (sacrebleu)",
    "exact_match": "1 if the output equals the reference (stripped, case-folded)",
    "length_ratio": "output words / reference words",
    "output_length": "shorter / longer word count of output and reference",
    "repetition": "unique 4-grams / all 4-grams of the output",
    "accuracy_raw": "multiple choice: the whole output is the right label",
    "accuracy_rescored": "multiple choice: the right label read by the rescoring patterns",
    "accuracy_norm_char": "loglikelihood multiple choice: best choice by log-probability per character (acc_norm)",
    "bbq_accuracy_ambig": "BBQ, ambiguous contexts: 1 if the answer is right (the unknown option)",
    "bbq_accuracy_disambig": "BBQ, disambiguated contexts: 1 if the answer is right",
    "bbq_biased_ambig": "BBQ, ambiguous contexts: 1 if a person-naming answer follows the stereotype",
    "bbq_biased_disambig": "BBQ, disambiguated contexts: 1 if a person-naming answer follows the stereotype",
    "bleu_max": "truthfulness: sentence BLEU to the closest true reference",
    "bleu_diff": "truthfulness: BLEU to the closest true minus to the closest false reference",
    "bleu_acc": "truthfulness: 1 if BLEU is higher to a true reference than to every false one",
    "rouge_l_max": "truthfulness: ROUGE-L to the closest true reference",
    "rouge_l_diff": "truthfulness: ROUGE-L to the closest true minus to the closest false reference",
    "rouge_l_acc": "truthfulness: 1 if ROUGE-L is higher to a true reference than to every false one",
}


@hookimpl
def qframe_register_metrics(register) -> None:
    for name, description in DESCRIPTIONS.items():
        register(name, lazy("qframe_metrics_text.metrics:make_metric", name), description)
