"""Errors a user can fix; the CLI shows them as one line, without a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in input the user gave: a file, a key, an option."""


class ScenarioError(UserError):
    """A scenario file (or override) that cannot be used, naming file, key and problem."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


class SweepFileError(ScenarioError):
    """A sweep file that cannot be used, naming the file, the key and the problem."""
