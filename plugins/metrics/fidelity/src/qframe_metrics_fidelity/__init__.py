"""Fidelity of a quantized variant to its baseline on the same items.

``kl`` compares next-token distributions from stored top-k log-probabilities; ``flips`` counts
items whose correctness changed between baseline and variant.
"""
