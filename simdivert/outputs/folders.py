"""Output folders and files written atomically: the one place that stages and renames.

An interrupted run leaves at most a hidden ``.NAME.partial-PID`` folder, never a
folder that looks complete; an existing folder is never written into.

Where output may go is checked before any work (:func:`check_new_dir`): a folder name
made from a scenario's name is made safe first (:func:`safe_folder_name`, so a name
such as ``../../x`` writes inside ``outputs/``), and a destination that cannot be
written (a parent that is a file, a read-only or full disk, the current folder) is
refused at once. If writing still fails, the results are written to a rescue folder
in the temporary directory and the error says where.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from simdivert.errors import UserError

Writer = Callable[[Path], object]  # writes one file at the path it is given


MAX_NAME_CHARACTERS = 80
MIN_FREE_BYTES = 50_000_000  # below this, a run's files may not fit
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_folder_name(name: str) -> str:
    """A name usable as one folder name anywhere: letters, digits, ``.``, ``_`` and ``-``
    only (runs of anything else become ``-``), not starting with a dot, never empty."""
    safe = _UNSAFE.sub("-", name).lstrip(".-")[:MAX_NAME_CHARACTERS].rstrip(".-")
    return safe or "unnamed"


def default_run_dir(scenario_name: str, root: Path = Path("outputs")) -> Path:
    """``outputs/<scenario>-<timestamp>``, with a numeric suffix if that exists already."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = safe_folder_name(scenario_name)
    candidate = root / f"{name}-{stamp}"
    suffix = 2
    while candidate.exists():
        candidate = root / f"{name}-{stamp}-{suffix}"
        suffix += 1
    return candidate


def check_writable(path: Path) -> None:
    """Refuse, before any work, a destination folder that could not be written: the
    current folder or one above it, a parent that is a file, a read-only or full disk."""
    if path.name in ("", ".", "..") or Path.cwd().is_relative_to(path.resolve()):
        raise UserError(
            f"{str(path) or repr(str(path))}: is the current folder or above it; name a new "
            "folder for the results"
        )
    ancestor = path.parent
    while not ancestor.exists():
        if ancestor.is_symlink():
            raise UserError(f"{path}: {ancestor} is a broken link")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserError(f"{path}: {ancestor} is a file, not a folder")
    probe = ancestor / f".simdivert-probe-{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{path}: cannot write in {ancestor} ({exc.strerror})") from None
    free = shutil.disk_usage(ancestor).free
    if free < MIN_FREE_BYTES:
        raise UserError(
            f"{path}: only {free / 1e6:.0f} MB free on its disk (at least "
            f"{MIN_FREE_BYTES / 1e6:.0f} MB needed)"
        )


def check_new_dir(path: Path) -> None:
    """Refuse to write into a folder that exists and holds anything, or could not be written."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UserError(f"{path}: already exists and is not empty; choose another --out")
    check_writable(path)


def write_run_dir(path: Path, writers: Mapping[str, Writer]) -> Path:
    """Write each file with its writer into a temporary folder, then rename it to ``path``.

    If the disk refuses (full, read-only, gone), the files are written to a rescue folder
    in the temporary directory instead and the error says where: nothing is lost.
    """
    check_new_dir(path)
    try:
        return _write_renamed(path, writers)
    except OSError as exc:
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
        rescue = Path(tempfile.gettempdir()) / f"simdivert-rescued-{safe_folder_name(path.name)}"
        try:
            kept = _write_renamed(_unused(rescue), writers)
        except OSError:
            raise UserError(
                f"{path}: cannot write ({reason}), nor a copy in {tempfile.gettempdir()}: "
                "the results are lost"
            ) from None
        raise UserError(f"{path}: cannot write ({reason}); the results are in {kept}") from None


def _unused(path: Path) -> Path:
    candidate, suffix = path, 2
    while candidate.exists():
        candidate, suffix = path.with_name(f"{path.name}-{suffix}"), suffix + 1
    return candidate


def _write_renamed(path: Path, writers: Mapping[str, Writer]) -> Path:
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


def json_writer(data: Mapping[str, Any]) -> Writer:
    def write(target: Path) -> None:
        target.write_text(json.dumps(data, indent=2, default=str) + "\n")

    return write


def write_atomically(path: Path, write: Writer) -> Path:
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
