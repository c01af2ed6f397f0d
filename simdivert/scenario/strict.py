"""The base of every scenario model (frozen, unknown keys rejected) and a probability."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class StrictModel(BaseModel):
    """Frozen, and unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)
