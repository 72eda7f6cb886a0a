"""The ``transformers`` check of ``qframe doctor``: versions of the libraries the backend runs on."""

from __future__ import annotations

from importlib import metadata

from qframe.plugin_api.protocols import CheckReport

LIBRARIES = ("torch", "transformers", "accelerate", "compressed-tensors", "llmcompressor")


def doctor_check() -> CheckReport:
    facts = {}
    for name in LIBRARIES:
        try:
            facts[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            facts[name] = "not installed"
    installed = facts["torch"] != "not installed" and facts["transformers"] != "not installed"
    return CheckReport(facts, installed=installed)
