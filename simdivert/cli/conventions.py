"""What every command shares: ``--json`` and ``-q/--quiet``, and how parameters are
shown in ``--help`` (the value a flag expects, never ``<bool>``; an argument by its name
in capitals, never ``<str>``).

``--json`` prints the command's result as one JSON document on stdout and nothing else
there (tables, progress and notes are not printed; errors still go to stderr);
``--quiet`` prints nothing but errors. Either way the files are written as usual.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

import typer
from rich.console import Console
from typer.core import TyperArgument, TyperGroup, TyperOption

from simdivert.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the result as JSON on stdout, and nothing else there.", metavar=""
    ),
]
QuietOption = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print nothing but errors.", metavar=""),
]

# The value each type of option expects, as --help shows it.
METAVARS: dict[Any, str] = {int: "N", float: "NUMBER", Path: "PATH", str: "TEXT"}


def _expected(annotation: Any) -> str:
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    return METAVARS.get(annotation, "VALUE")


class ShownArgument(TyperArgument):
    """An argument shown by its name alone, the value it expects (``SCENARIO``, ``FILES...``),
    without typer's Python type beside it (``<str>``, ``<list[Path]>``)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _rich_display_name(self) -> str:  # typer leaves out "..." once a metavar is set
        return self.display_name_raw + ("..." if self.nargs != 1 else "")


def show_metavars(command: Any) -> None:
    """Give every parameter of ``command`` (and its subcommands) that names no metavar of
    its own the value it expects: nothing for a flag, ``N`` for a whole number, ``PATH``,
    and an argument its name in capitals."""
    for param in command.params:
        if isinstance(param, TyperArgument):
            param.__class__ = ShownArgument  # the same argument, shown without its type
            if param.metavar is None:
                param.metavar = param.name.upper()
        elif param.metavar is None and isinstance(param, TyperOption):
            param.metavar = "" if param.is_flag else _expected(param.type_descriptor.annotation)
    for sub in getattr(command, "commands", {}).values():
        show_metavars(sub)


class ConventionalGroup(TyperGroup):
    """The command group: shows each option's expected value in ``--help``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        show_metavars(self)


class Output:
    """Where a command's result goes: rich tables on the console, or JSON on stdout."""

    def __init__(self, console: Console, json_: bool, quiet: bool) -> None:
        self.json = json_
        console.quiet = json_ or quiet  # reset by every command: tests run many in one process
        self.console = console

    def result(self, payload: dict[str, Any]) -> None:
        """The command's result as JSON on stdout, when ``--json`` asked for it."""
        if self.json:
            sys.stdout.write(json.dumps(payload, default=str) + "\n")
            sys.stdout.flush()


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON records, NaN as null."""
    return json.loads(table.to_json(orient="records"))


def docs_text(path: Path) -> str:
    """A docs file a command is to update (``--write-docs``): its text, or one line if absent."""
    try:
        return path.read_text()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
