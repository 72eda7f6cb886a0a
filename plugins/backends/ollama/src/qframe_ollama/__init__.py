"""Ollama backend for qframe: models served by an Ollama daemon, driven with the official client.

Importing this package costs nothing: the ``ollama`` client is imported when a backend is built.
"""
