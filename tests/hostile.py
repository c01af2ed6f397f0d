"""What every hostile-input test checks: one line, a non-zero exit, no traceback, and
nothing written where it should not be. Shared by the ``test_hostile_*`` modules."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.scenario.bounds import AtMost
from simdivert.scenario.schema import Scenario

runner = CliRunner()
# A short run of the default scenario that reaches its launch.
SHORT = ["--years", "0.05", "--reps", "1", "--workers", "1", "--set", "run.warmup_days=0"]
SHORT_SET = ["--set", "policy.launch_after_days=0"]


def cli(*args: Any):
    """The command line as typed, in this process."""
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *fragments: str) -> str:
    """Exit status 2, one line on stderr starting ``error:``, no traceback; returns it."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert line.startswith("error: "), line
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def files_under(folder: Path) -> set[str]:
    """Every file and folder below ``folder``, as relative paths."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _models(annotation: Any) -> list[type[BaseModel]]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(annotation) if a is not type(None)]
    else:
        arms = [annotation]
    if len(arms) == 1 and isinstance(arms[0], type) and issubclass(arms[0], BaseModel):
        return arms
    return []


def scenario_leaves(
    model: type[BaseModel] = Scenario, prefix: str = ""
) -> Iterator[tuple[str, FieldInfo]]:
    """Every leaf field a dotted key reaches through tables (lists of tables and
    distributions aside), with its pydantic field."""
    for name, field in model.model_fields.items():
        nested = _models(field.annotation)
        if nested:
            yield from scenario_leaves(nested[0], f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def is_number(field: FieldInfo) -> bool:
    annotation = field.annotation
    arms = typing.get_args(annotation) or (annotation,)
    return bool({float, int} & set(arms)) and bool not in arms


def bound_of(field: FieldInfo) -> AtMost | None:
    for item in field.metadata:
        if isinstance(item, AfterValidator) and isinstance(item.func, AtMost):
            return item.func
    return None


def may_be_infinite(field: FieldInfo) -> bool:
    return "allow_inf_nan=True" in repr(field.metadata)
