"""A sweep's folder: one file per finished cell, so that an interrupted sweep resumes.

::

    <out>/manifest.json           the sweep: its file and hash, cells, seed, runs
    <out>/cells/cell-00042.parquet one per finished cell, written whole then renamed
    <out>/results.parquet, results.csv, summary.csv   once every cell is done
    <out>/national.csv, forces.csv  a national rollout's totals and per-force table

Every file is written under a hidden temporary name and renamed, so a crash (Ctrl-C,
``kill -9``, a lost machine) leaves whole files only; a rerun finds the cells already
done and runs the rest. The manifest's hash ties the folder to one sweep: results of a
changed sweep file or scenario are never mixed with old ones.

The folder does not trust its files. Each cell file records what it is (its cell, the
sweep's hash, its replications and a checksum of its rows); one that does not (garbage,
empty, copied over another cell, of another sweep) is reported, set aside as
``cell-N.parquet.rejected`` and run again. A corrupt manifest is reported and rewritten,
keeping every cell that proves it belongs to this sweep. A lock (``.lock``, held while a
sweep runs and released by the system if it dies) stops two sweeps sharing a folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from simdivert.errors import UserError
from simdivert.outputs.folders import check_writable, json_writer, write_atomically

MANIFEST = "manifest.json"
CELLS = "cells"
LOCK = ".lock"
RESULTS_PARQUET = "results.parquet"
RESULTS_CSV = "results.csv"
SUMMARY_CSV = "summary.csv"
NATIONAL_CSV = "national.csv"
FORCES_CSV = "forces.csv"
SWEEP_KIND = "simdivert sweep"
CELL_METADATA = b"simdivert.cell"  # Parquet key-value metadata: what the cell file holds
REPLICATION = "replication"
REJECTED_SUFFIX = ".rejected"
_CELL_FILE = re.compile(r"cell-(\d+)\.parquet")


class _CorruptManifest(Exception):
    """The manifest exists but cannot be read as one."""


def rows_checksum(table: pd.DataFrame) -> str:
    """A checksum of a table's rows as written (the same after a Parquet round trip)."""
    return hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()


class SweepFolder:
    """The output folder of one sweep, kept consistent across interruptions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cells = path / CELLS
        self.previous: dict[str, Any] = {}  # the manifest found by open(), if any
        self._lock: int | None = None

    def open(
        self, digest: str, fresh: bool, replications: int, exact: bool = True
    ) -> tuple[set[int], list[str]]:
        """Make the folder ready for the sweep with this hash, and lock it (until
        :meth:`close`, also if this raises); return the cells already done and what was
        wrong with the folder (reported, then repaired).

        A cell is done if its file proves it: this cell, this sweep, replications 0..n-1
        with n ``replications`` (``exact``) or at least that many, and its checksum. A
        folder of another sweep is an error unless ``fresh`` (then its results are
        deleted); a folder that is not a sweep's is never touched.
        """
        if self.path.exists() and not self.path.is_dir():
            raise UserError(f"{self.path}: exists and is not a folder; choose another --out")
        if not self.path.exists():
            check_writable(self.path)
        notes: list[str] = []
        try:
            manifest = self.read_manifest()
        except _CorruptManifest as exc:
            if not self.cells.is_dir():
                raise UserError(
                    f"{self.path / MANIFEST}: {exc}, and the folder holds no sweep cells; "
                    "choose another --out"
                ) from None
            manifest = None
            saved = len(self._cell_files())
            notes.append(
                f"{self.path / MANIFEST}: {exc}; rewritten, keeping those of the {saved} "
                "saved cell files that belong to this sweep"
            )
        else:
            present = list(self.path.iterdir()) if self.path.exists() else []
            if not self._cell_files():  # a lock and empty cells/: a sweep stopped at once
                present = [p for p in present if p.name not in (LOCK, CELLS)]
            if manifest is None and present:
                if (self.path / MANIFEST).exists() or not self._cell_files():
                    raise UserError(
                        f"{self.path}: exists and is not a sweep's folder (no sweep "
                        f"{MANIFEST}); choose another --out"
                    )
                notes.append(
                    f"{self.path / MANIFEST}: missing; rewritten, keeping those of the "
                    f"{len(self._cell_files())} saved cell files that belong to this sweep"
                )
        self.previous = manifest or {}
        self.path.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        if manifest is not None and fresh:
            self._clear()
            self.previous = {}
        elif manifest is not None and manifest.get("sweep_digest") != digest:
            raise UserError(
                f"{self.path}: holds results of a different sweep (the sweep file, a scenario "
                "it uses or the precision settings changed); use --fresh to discard them, "
                "or choose another --out"
            )
        self.cells.mkdir(parents=True, exist_ok=True)
        for stale in self.cells.glob(".*.partial-*"):
            stale.unlink()
        done = set()
        for index, path in sorted(self._cell_files().items()):
            problem = self._cell_problem(path, index, digest, replications, exact)
            if problem is None:
                done.add(index)
                continue
            path.rename(path.with_name(path.name + REJECTED_SUFFIX))
            notes.append(f"{path}: {problem}; set aside as {path.name}{REJECTED_SUFFIX}, run again")
        return done, notes

    def close(self) -> None:
        """Release the folder's lock."""
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the lock
            self._lock = None

    def _take_lock(self) -> None:
        try:
            descriptor = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"{self.path}: cannot write in it ({exc.strerror})") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 100).decode(errors="replace").strip() or "?"
            os.close(descriptor)
            raise UserError(
                f"{self.path}: another sweep (process {holder}) is running in this folder; "
                "wait for it to finish, or choose another --out"
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        self._lock = descriptor

    def read_manifest(self) -> dict[str, Any] | None:
        """The sweep manifest, or None if there is none (or it is another kind's).
        Raises _CorruptManifest if the file is there but is not a manifest at all."""
        try:
            raw = (self.path / MANIFEST).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise _CorruptManifest(f"cannot be read ({exc.strerror})") from None
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise _CorruptManifest("is not UTF-8 text") from None
        except (json.JSONDecodeError, RecursionError):
            raise _CorruptManifest("is not valid JSON") from None
        if not isinstance(manifest, dict):
            raise _CorruptManifest("is not a JSON object")
        return manifest if manifest.get("kind") == SWEEP_KIND else None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_atomically(self.path / MANIFEST, json_writer({"kind": SWEEP_KIND, **manifest}))

    def _cell_files(self) -> dict[int, Path]:
        if not self.cells.is_dir():
            return {}
        return {
            int(match.group(1)): path
            for path in self.cells.glob("cell-*.parquet")
            if (match := _CELL_FILE.fullmatch(path.name))
        }

    def saved_cells(self) -> int:
        """How many cell files the folder holds (before they are checked)."""
        return len(self._cell_files())

    @staticmethod
    def _cell_problem(
        path: Path, index: int, digest: str, replications: int, exact: bool
    ) -> str | None:
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception:  # noqa: BLE001 (garbage, truncated, empty: pyarrow raises many kinds)
            return "not a readable Parquet file"
        try:
            record = json.loads((table.schema.metadata or {})[CELL_METADATA])
            cell, sweep, ids, checksum = (
                record["cell"],
                record["sweep_digest"],
                record["replications"],
                record["checksum"],
            )
        except (KeyError, ValueError, TypeError):
            return "does not record which cell it holds"
        if cell != index:
            return f"holds cell {cell}, not cell {index} (copied over it?)"
        if sweep != digest:
            return "holds a cell of another sweep"
        rows = table.to_pandas()
        if REPLICATION not in rows or list(rows[REPLICATION]) != ids:
            return "its rows are not the replications it records"
        wanted = ids == list(range(replications)) if exact else ids == list(range(len(ids)))
        if not wanted or len(ids) < replications:
            return f"holds replications {_span(ids)}, not 0 to {replications - 1}"
        if rows_checksum(rows) != checksum:
            return "its rows do not match their checksum (changed after it was written)"
        return None

    def save_cell(self, index: int, table: pd.DataFrame, digest: str) -> None:
        """Write a cell's table with what it is: cell, sweep, replications, checksum."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        record = {
            "cell": index,
            "sweep_digest": digest,
            "replications": [int(r) for r in table[REPLICATION]],
            "checksum": rows_checksum(table),
        }
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        arrow = arrow.replace_schema_metadata(
            {**(arrow.schema.metadata or {}), CELL_METADATA: json.dumps(record).encode()}
        )
        write_atomically(
            self.cells / f"cell-{index:05d}.parquet", lambda p: pq.write_table(arrow, p)
        )

    def read_cells(self, indices: Iterable[int]) -> pd.DataFrame:
        """The saved tables of these cells, in cell order, as one table."""
        return pd.concat(
            [pd.read_parquet(self.cells / f"cell-{i:05d}.parquet") for i in sorted(indices)],
            ignore_index=True,
        )

    def write_results(self, results: pd.DataFrame, summary: pd.DataFrame) -> None:
        write_atomically(self.path / RESULTS_PARQUET, lambda p: results.to_parquet(p, index=False))
        write_atomically(self.path / RESULTS_CSV, lambda p: results.to_csv(p, index=False))
        write_atomically(self.path / SUMMARY_CSV, lambda p: summary.to_csv(p, index=False))

    def write_national(self, national: pd.DataFrame, forces: pd.DataFrame) -> None:
        write_atomically(self.path / NATIONAL_CSV, lambda p: national.to_csv(p, index=False))
        write_atomically(self.path / FORCES_CSV, lambda p: forces.to_csv(p, index=False))

    def _clear(self) -> None:
        shutil.rmtree(self.cells, ignore_errors=True)
        for name in (RESULTS_PARQUET, RESULTS_CSV, SUMMARY_CSV, NATIONAL_CSV, FORCES_CSV, MANIFEST):
            (self.path / name).unlink(missing_ok=True)


def _span(ids: list[int]) -> str:
    return "none" if not ids else f"{min(ids)} to {max(ids)} ({len(ids)})"
