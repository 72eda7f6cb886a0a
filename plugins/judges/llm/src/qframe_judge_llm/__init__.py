"""Judges ``llm`` (one response, one verdict) and ``pairwise`` (a variant against its baseline).

The judge model is any registered backend and model named in the judge's config table; prompt
templates are built in (``templates/*.txt``) and can be replaced by files.
"""
