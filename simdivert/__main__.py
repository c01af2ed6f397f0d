"""``python -m simdivert`` is the ``simdivert`` command."""

from simdivert.cli.app import app

app(prog_name="simdivert")
