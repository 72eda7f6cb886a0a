"""Deterministic mock backend and synthetic task, for tests and the first demo."""
