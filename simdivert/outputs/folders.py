"""A run's output folder: written whole under a temporary name, then renamed.

An interrupted run leaves at most a hidden ``.NAME.partial-PID`` folder, never a
folder that looks complete; an existing folder is never written into.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simdivert.errors import UserError

PACKAGES = ("simdivert", "simpy", "numpy", "scipy", "pandas", "pydantic", "pyarrow")


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the results."""
    from importlib import metadata  # 25 ms of email and zip modules: only when writing

    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_run_dir(scenario_name: str, root: Path = Path("outputs")) -> Path:
    """``outputs/<scenario>-<timestamp>``, with a numeric suffix if that exists already."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = root / f"{scenario_name}-{stamp}"
    suffix = 2
    while candidate.exists():
        candidate = root / f"{scenario_name}-{stamp}-{suffix}"
        suffix += 1
    return candidate


def check_new_dir(path: Path) -> None:
    """Refuse to write into a folder that exists and holds anything."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UserError(f"{path}: already exists and is not empty; choose another --out")


def write_run_dir(path: Path, writers: dict[str, Callable[[Path], None]]) -> Path:
    """Write each file with its writer into a temporary folder, then rename it to ``path``."""
    check_new_dir(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.parent / f".{path.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        for name, write in writers.items():
            write(staging / name)
        if path.exists():
            path.rmdir()  # empty, checked above
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path


def json_writer(data: dict[str, Any]) -> Callable[[Path], None]:
    def write(target: Path) -> None:
        target.write_text(json.dumps(data, indent=2, default=str) + "\n")

    return write


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Write one file under a hidden temporary name beside it, then rename it into place:
    a reader (or a rerun after a crash) sees the old file or the whole new one, never half."""
    staging = path.parent / f".{path.name}.partial-{os.getpid()}"
    try:
        write(staging)
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return path
