"""The command-line commands that are more than a call into the run: one module per command
(``rejudge``, ``judge-check``, ``power``, ``new-plugin``, ``plugins --check``, ``gate``,
``export``, the demo, ``doctor``/``ls``, ``data pull``/``data list``). :mod:`qframe.cli` wires
them to click.
"""
