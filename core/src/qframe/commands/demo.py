"""The built-in offline demo: a plugin prepares it (models, data) and hands back its config."""

from __future__ import annotations

from typing import Any

from qframe.data.cache import cache_dir
from qframe.plugin_api.errors import QframeError
from qframe.plugin_api.plugins import PluginHost


def demo_config(host: PluginHost) -> dict[str, Any]:
    """The demo experiment of the highest-priority plugin that provides one."""
    work_dir = cache_dir() / "demo"
    work_dir.mkdir(parents=True, exist_ok=True)
    config = host.manager.hook.qframe_demo_experiment(work_dir=work_dir)
    if config is None:
        raise QframeError("no installed plugin provides a demo; install qframe-llamacpp or qframe-mock")
    return config
