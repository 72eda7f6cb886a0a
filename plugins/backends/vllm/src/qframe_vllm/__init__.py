"""qframe backend ``vllm``: vLLM's offline engine in a worker process."""
