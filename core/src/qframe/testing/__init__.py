"""Conformance suites for plugin authors: subclass one in a test module and point it at your factory.

::

    from qframe.testing import BackendConformance

    class TestExqBackend(BackendConformance):
        backend = "exq"                 # a registered name, or the factory itself
        model = "toy-EXQ4"
        other_model = "toy-EXQ8"        # different weights: must give a different digest
        options = {}

Each inherited test checks one rule of the contract the runner relies on; a broken rule fails
with a message that starts with the rule's name. Capabilities a plugin does not have are
declared (``supports_loglikelihood = False``...) and the suite then checks that asking for them
raises :class:`qframe.plugin_api.errors.MissingCapabilityError`. The suites need pytest (the ``testing``
extra: ``pip install "qframe[testing]"``), which this module imports; core never imports it at
start-up. The module is also a pytest plugin (entry point ``pytest11``), which adds the
``qframe_host`` fixture.
"""

from importlib.util import find_spec

from qframe.plugin_api.errors import MissingDependencyError

if find_spec("pytest") is None:
    raise MissingDependencyError('qframe.testing needs pytest: pip install "qframe[testing]"')

from qframe.testing.backend import BackendConformance
from qframe.testing.components import JudgeConformance, MetricConformance, ReporterConformance, TaskConformance

__all__ = ["BackendConformance", "JudgeConformance", "MetricConformance", "ReporterConformance", "TaskConformance"]
