"""qframe backend ``transformers`` and the ``qframe quantize`` command."""
