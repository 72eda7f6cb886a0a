"""Decision rules that label a quantized variant, or a quant format across models, from its deltas.

Each module holds one rule as pure functions, with an attrs ``Thresholds`` class carrying every
threshold the rule uses (defaults from the method definitions) so a user can override any of them:
``quality_tier`` (how much quality a variant lost), ``safety_regime`` (how its quality and safety
moved together), ``deployment`` (which formats may be deployed across models, and the conservative
floor) and ``cliff`` (quality cliffs and diminishing returns along a quant ladder).
"""
