"""Fidelity of a quantized variant to the baseline on the same items.

``kl_divergence`` and ``top1_agreement`` score each item from stored top-k log-probabilities
(the ``shared_prefix`` method, math in :mod:`qframe.fidelity.topk`); ``flips`` counts items whose
correctness changed between baseline and variant.
"""
