"""Safety suites: refusal, jailbreak, truthfulness, bias and over-refusal tasks.

Every task reads a public data file given as ``options = {path = "..."}`` or, without one, a
small built-in set the project wrote for offline use. Samples carry ``metadata["category"]``
(``harmful``, ``benign``, ``truthfulness`` or ``bias``), which the safety judges read to pick how
to judge an item.
"""
