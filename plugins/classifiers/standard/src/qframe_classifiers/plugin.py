"""Registers the classifiers, in the order they build on each other's labels."""

from __future__ import annotations

from qframe.hookspecs import hookimpl


@hookimpl
def qframe_register_classifiers(register) -> None:
    from qframe_classifiers.cell_classifiers import CLASSIFIERS

    for classifier in CLASSIFIERS:
        register(classifier.name, classifier, (classifier.__doc__ or "").strip().splitlines()[0])
