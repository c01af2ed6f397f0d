"""``python -m simdivert`` is the ``simdivert`` command."""

from simdivert.cli import app

app(prog_name="simdivert")
