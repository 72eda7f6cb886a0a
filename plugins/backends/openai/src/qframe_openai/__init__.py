"""qframe backend ``openai``: models served by an OpenAI-compatible HTTP server."""
