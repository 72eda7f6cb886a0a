"""Structured-extraction metrics: entity span F1 over JSON model output, with parse rate."""
