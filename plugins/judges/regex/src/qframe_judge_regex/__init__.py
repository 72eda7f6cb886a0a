"""Judge ``regex_refusal``: finds refusal phrases in normalised model output, needs no model."""
