"""``qframe new-plugin KIND NAME``: write a ready-to-install plugin package.

The package has a pyproject with the ``qframe`` entry point, a plugin module that registers a
lazy factory, a skeleton whose methods raise ``NotImplementedError`` naming the file to edit,
and a test module that runs the matching :mod:`qframe.testing` conformance suite.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from qframe.plugin_api.errors import BadInputError

KINDS = ("backend", "task", "metric", "judge")
_NAME = re.compile(r"[a-z][a-z0-9_]*")

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "A qframe $kind plugin: $name."
requires-python = ">=3.11"
dependencies = ["qframe"]

[project.optional-dependencies]
test = ["qframe[testing]"]

[project.entry-points.qframe]
$name = "$module.plugin"

[tool.setuptools.packages.find]
where = ["src"]
"""

PLUGIN = '''\
"""Registers $kind ``$name``; its module is imported only when an experiment uses it."""

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy


@hookimpl
def qframe_register_${kind}s(register) -> None:
    register("$name", lazy("$module.$kind:$cls"), "TODO: one line saying what $name does")
'''

TODO = 'raise NotImplementedError("$cls.$method is not implemented yet: write it in src/$module/$kind.py")'

SKELETONS = {
    "backend": '''\
"""Backend ``$name``. Import your engine inside ``open()``, never at module level."""

from collections.abc import Sequence

from qframe.plugin_api.protocols import BackendSpec, GenerationRequest, GenerationResult, ModelInfo


class $cls:
    default_concurrency = 1

    def __init__(self, spec: BackendSpec) -> None:
        self.spec = spec

    async def open(self) -> ModelInfo:
        """Load the model; ``digest`` is the SHA-256 of the weights."""
        ${todo_open}

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        ${todo_generate}

    async def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[float]:
        ${todo_loglikelihood}

    async def close(self) -> None:
        ${todo_close}
''',
    "task": '''\
"""Task ``$name``."""

from collections.abc import Mapping
from typing import Any

from qframe.plugin_api.protocols import Sample


class $cls:
    name = "$name"
    mode = "generate"
    default_metrics: tuple[str, ...] = ()

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)

    def samples(self, limit: int | None, seed: int) -> list[Sample]:
        ${todo_samples}
''',
    "metric": '''\
"""Metric ``$name``."""

from collections.abc import Mapping, Sequence
from typing import Any

from qframe.plugin_api.protocols import ScoringItem


class $cls:
    name = "$name"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.params: dict[str, str] = {}

    def score(self, items: Sequence[ScoringItem]) -> list[float | None]:
        ${todo_score}
''',
    "judge": '''\
"""Judge ``$name``."""

from collections.abc import Mapping, Sequence
from typing import Any

from qframe.plugin_api.protocols import BackendProvider, ScoringItem, Verdict


class $cls:
    name = "$name"

    def __init__(self, options: Mapping[str, Any], backends: BackendProvider) -> None:
        self.options = dict(options)
        self.backends = backends

    async def judge(self, items: Sequence[ScoringItem]) -> list[Verdict]:
        ${todo_judge}
''',
}

TESTS = {
    "backend": """\
    backend = "$name"
    model = "TODO: a small model your backend can open"
    other_model = "TODO: a second model with different weights"
    options = {}
    # Declare what the engine cannot do; the suite then checks it is refused cleanly:
    # supports_loglikelihood = False
    # transient_options = {...}  # options that make every call fail transiently
""",
    "task": """\
    task = "$name"
    options = {}
""",
    "metric": """\
    metric = "$name"
    options = {}
    value_range = (0.0, 1.0)
""",
    "judge": """\
    judge = "$name"
    options = {}
    labels = frozenset({"TODO: every label the judge gives"})
""",
}

TEST_MODULE = '''\
"""$distribution passes qframe's $kind conformance suite: run ``pytest`` here."""

from qframe.testing import ${conformance}


class Test${cls}(${conformance}):
$body'''

METHODS = {
    "backend": ("open", "generate", "loglikelihood", "close"),
    "task": ("samples",),
    "metric": ("score",),
    "judge": ("judge",),
}


def new_plugin(kind: str, name: str, directory: Path) -> Path:
    """Write the package ``qframe-<name>`` for a plugin of ``kind`` under ``directory``; returns its folder."""
    if kind not in KINDS:
        raise BadInputError(f"unknown plugin kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if not _NAME.fullmatch(name):
        raise BadInputError(
            f"plugin name {name!r} must be lowercase letters, digits and underscores, starting with a letter"
        )
    distribution = f"qframe-{name.replace('_', '-')}"
    root = directory / distribution
    if root.exists():
        raise BadInputError(f"{root} already exists; choose another name or --dir")
    module = f"qframe_{name}"
    cls = "".join(part.capitalize() for part in name.split("_")) + kind.capitalize()
    values = {
        "name": name,
        "kind": kind,
        "module": module,
        "cls": cls,
        "distribution": distribution,
        "conformance": f"{kind.capitalize()}Conformance",
    }
    for method in METHODS[kind]:
        values[f"todo_{method}"] = Template(TODO).substitute(values, method=method)
    files = {
        "pyproject.toml": PYPROJECT,
        f"src/{module}/__init__.py": '"""qframe plugin $name."""\n',
        f"src/{module}/plugin.py": PLUGIN,
        f"src/{module}/{kind}.py": SKELETONS[kind],
        "tests/test_conformance.py": Template(TEST_MODULE).safe_substitute(body=TESTS[kind]),
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template).substitute(values))
    return root
