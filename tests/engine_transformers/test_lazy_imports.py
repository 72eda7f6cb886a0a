"""Loading every plugin and the CLI's commands must not import torch, transformers or vLLM."""

from __future__ import annotations

import subprocess
import sys


def test_plugins_and_commands_load_without_heavy_libraries() -> None:
    code = (
        "import sys, click\n"
        "from qframe.plugin_api.plugins import PluginHost\n"
        "host = PluginHost(); host.load_entry_points()\n"
        "import qframe_transformers.plugin as t, qframe_vllm.plugin as v\n"
        "t.qframe_register_commands(click.Group())\n"
        "import qframe_transformers.backend, qframe_transformers.checkpoint, qframe_transformers.quantize\n"
        "import qframe_vllm.backend, qframe_vllm.process, qframe_vllm.batching\n"
        "print(sorted({'torch', 'transformers', 'vllm', 'llmcompressor', 'safetensors'} & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
