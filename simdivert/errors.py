"""Errors a user can fix; the CLI shows them as one line, without a traceback.

The library's messages name what was wrong in its own words (``workers 0: must be at
least 1``, ``override: provider.drug_workers: ...``); an error about an option says so
in ``option``, and the command line names its flag instead (``--workers 0: ...``).
"""

from __future__ import annotations

# Sources of values that a front end takes as options (errors name them as their source).
OVERRIDE_SOURCE = "override"  # a value given as a dotted-key override
VARY_SOURCE = "vary"  # a factor of a sensitivity analysis
SAMPLES_SOURCE = "samples"  # the sample size of a sensitivity analysis


class UserError(Exception):
    """A mistake in input the user gave: a file, a key, an option.

    ``option`` names the setting the message is about (``workers``, ``target``): the
    message then starts with it, and a front end may put its own name for it there.
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        self.option = option
        super().__init__(message)


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
