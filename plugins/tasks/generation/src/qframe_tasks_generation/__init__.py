"""Generation suites written for qframe, each item with a reference answer.

``suites`` says what each suite asks and which metrics score it; ``task`` reads the items
(``data/<suite>.jsonl``), draws a deterministic subset and builds the samples.
"""
