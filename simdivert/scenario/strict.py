"""The base of every model of a file (scenario, sweep, targets, distribution) and the
number types everyone shares.

Every model inherits :class:`StrictModel`, so a new field picks these rules up without
saying so: the model is frozen and unknown keys are errors; ``inf`` and ``nan`` are
refused wherever a number is read (a key that means "no limit" says so with
:data:`NoLimit`); and ``true``/``false`` are never taken for 1 or 0 where a number is
meant. Upper bounds on sizes are in :mod:`simdivert.scenario.bounds`.
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


def _not_nan(value: float) -> float:
    if math.isnan(value):
        raise ValueError("must be a number, not nan")
    return value


# A value that may be infinite on purpose ("no limit", e.g. patience that never runs out).
NoLimit = Annotated[float, Field(allow_inf_nan=True), AfterValidator(_not_nan)]


def _may_be_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    return any(_may_be_bool(arg) for arg in typing.get_args(annotation))


class _TrueOrFalse:
    """Stands in for a boolean where a number is meant, so that validation fails at that
    key, showing what was written (pydantic would take ``true`` for 1)."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


def _no_bools(value: Any) -> Any:
    if isinstance(value, bool):
        return _TrueOrFalse(value)
    if isinstance(value, list):
        return [_TrueOrFalse(v) if isinstance(v, bool) else v for v in value]
    return value


# A number in a mapping (shares by substance), which StrictModel's check does not reach.
NotBool = BeforeValidator(lambda value: _TrueOrFalse(value) if isinstance(value, bool) else value)


class StrictModel(BaseModel):
    """Frozen; unknown keys, ``inf``/``nan`` and booleans for numbers are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            key: value
            if key not in fields or _may_be_bool(fields[key].annotation)
            else _no_bools(value)
            for key, value in data.items()
        }
