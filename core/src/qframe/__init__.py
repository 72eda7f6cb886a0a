"""qframe: measure what quantization costs an LLM, with a paired design and a decision matrix.

The core stays small: configuration, plugin loading, the async runner and the CLI.
Every capability (backends, tasks, metrics, judges, classifiers, reporters, stores) is a plugin.
"""

__version__ = "0.1.0"
