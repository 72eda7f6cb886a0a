"""Reference-based text metrics and multiple-choice answer extraction.

``text_metrics`` scores a generated text against a reference (ROUGE-L, BLEU, exact match, output
length, repetition, key-metric average); ``answer_extraction`` turns a free-form answer to a
multiple-choice question into a choice label, strictly (raw) or by pattern rescoring.
"""
