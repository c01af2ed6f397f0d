"""The manifest every output folder carries: what was run, how, where, when, with what.

Each writer in :mod:`simdivert.outputs.writers` names what its kind of result needs
(the scenario, targets, factors...) and this module adds what every manifest has: the
command, where the replications ran, the start and finish times and the versions.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from simdivert.clock import utc_now

PACKAGES = ("simdivert", "simpy", "numpy", "scipy", "pandas", "pydantic", "pyarrow")


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the results."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass(frozen=True)
class Provenance:
    """How a result came about: the command that asked for it (empty from Python), where
    it ran (``workers``/``dask_scheduler``) and when it started and finished."""

    started: str
    finished: str = field(default_factory=utc_now)
    where: Mapping[str, int | str | None] = field(default_factory=dict)
    command: str = ""


def build_manifest(
    head: Mapping[str, Any], provenance: Provenance, tail: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``head`` (what was run), then the provenance and versions, then ``tail`` (the
    resolved scenario and other long records), in the order the files have always had."""
    return {
        **head,
        **provenance.where,
        "command": provenance.command,
        "started": provenance.started,
        "finished": provenance.finished,
        "versions": package_versions(),
        **(tail or {}),
    }
