"""qframe: measure what quantization costs an LLM, with a paired design and a decision matrix.

The core stays small and is arranged in layers (docs/architecture.md): ``plugin_api`` (what a
plugin implements and imports), ``data`` and ``config``, ``fidelity`` and ``analysis``, ``run``
(the pipeline of a run), ``testing`` and ``commands``, and ``cli``. Every capability (backends,
tasks, metrics, judges, classifiers, reporters, stores) is a plugin.
"""

from qframe import _moved

__version__ = "0.1.0"

_moved.install()
