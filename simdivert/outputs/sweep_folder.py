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
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from simdivert.errors import UserError
from simdivert.outputs.folders import json_writer, write_atomically

MANIFEST = "manifest.json"
CELLS = "cells"
RESULTS_PARQUET = "results.parquet"
RESULTS_CSV = "results.csv"
SUMMARY_CSV = "summary.csv"
NATIONAL_CSV = "national.csv"
FORCES_CSV = "forces.csv"
SWEEP_KIND = "simdivert sweep"
_CELL_FILE = re.compile(r"cell-(\d+)\.parquet")


class SweepFolder:
    """The output folder of one sweep, kept consistent across interruptions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cells = path / CELLS

    def open(self, digest: str, fresh: bool) -> set[int]:
        """Make the folder ready for the sweep with this hash; return the cells already done.

        A folder of another sweep is an error unless ``fresh`` (then its results are
        deleted); a folder that is not a sweep's is never touched.
        """
        if self.path.exists() and not self.path.is_dir():
            raise UserError(f"{self.path}: exists and is not a folder; choose another --out")
        manifest = self.read_manifest()
        if manifest is None:
            if self.path.exists() and any(self.path.iterdir()):
                raise UserError(
                    f"{self.path}: exists and is not a sweep's folder (no sweep {MANIFEST}); "
                    "choose another --out"
                )
        elif fresh:
            self._clear()
        elif manifest.get("sweep_digest") != digest:
            raise UserError(
                f"{self.path}: holds results of a different sweep (the sweep file, a scenario "
                "it uses or the precision settings changed); use --fresh to discard them, "
                "or choose another --out"
            )
        self.cells.mkdir(parents=True, exist_ok=True)
        for stale in self.cells.glob(".*.partial-*"):
            stale.unlink()
        return self.finished_cells()

    def read_manifest(self) -> dict[str, Any] | None:
        """The sweep manifest, or None if there is none (or it is not a sweep's)."""
        try:
            manifest = json.loads((self.path / MANIFEST).read_text())
        except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
            return None
        return manifest if manifest.get("kind") == SWEEP_KIND else None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_atomically(self.path / MANIFEST, json_writer({"kind": SWEEP_KIND, **manifest}))

    def finished_cells(self) -> set[int]:
        return {
            int(match.group(1))
            for path in self.cells.glob("cell-*.parquet")
            if (match := _CELL_FILE.fullmatch(path.name))
        }

    def save_cell(self, index: int, table: pd.DataFrame) -> None:
        write_atomically(
            self.cells / f"cell-{index:05d}.parquet", lambda p: table.to_parquet(p, index=False)
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
