"""``python -m qframe`` is the ``qframe`` command."""

from qframe.cli import main

main()
