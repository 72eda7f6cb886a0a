"""Registers the classifiers, in the order they build on each other's labels."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy

CLASSIFIERS = {
    "quality_tier": ("QualityTierClassifier", "the worse of the benchmark (pp) and generation (%) deltas"),
    "safety_regime": ("SafetyRegimeClassifier", "how quality and refusal moved together (needs a refusal suite)"),
    "quality_cliff": ("QualityCliffClassifier", "per step down each ladder (by bits per weight), drop and returns"),
    "deployment_protocol": ("DeploymentProtocolClassifier", "role of each quant format across models, and the floor"),
}
"""Name -> (class in :mod:`qframe_classifiers.cell_classifiers`, description), in dependency order."""


@hookimpl
def qframe_register_classifiers(register) -> None:
    for name, (class_name, description) in CLASSIFIERS.items():
        register(name, lazy(f"qframe_classifiers.cell_classifiers:{class_name}"), description)
