"""Hostile sweep folders: cell files copied, broken or changed, a corrupt manifest, two
sweeps on one folder. Each is reported in one line; nothing saved is lost; the
final tables are the same as an untouched sweep's."""

import fcntl
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hostile import assert_one_line_error, cli, files_under

from simdivert.outputs.sweep_folder import CELL_METADATA, LOCK, MANIFEST, rows_checksum

SWEEP = """replications = 2
[set]
"run.years" = 0.05
"run.warmup_days" = 0
"policy.launch_after_days" = 0
[grid]
"provider.drug_workers" = [4, 5, 6]
"""


def cell(folder: Path, index: int) -> Path:
    return folder / "cells" / f"cell-{index:05d}.parquet"


def sweep(path: Path, out: Path, *args: str):
    return cli("sweep", path, "--workers", "1", "--out", out, *args)


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hostile-sweep")
    path = root / "sweep.toml"
    path.write_text(SWEEP)
    result = sweep(path, root / "done")
    assert result.exit_code == 0, result.output
    return path, root / "done"


@pytest.fixture
def copy(finished, tmp_path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(finished[1], folder)
    return folder


def resume_reports(finished, folder: Path, bad: int, problem: str) -> None:
    """The rerun names the bad cell and why, sets it aside, runs it again, and ends with
    the untouched sweep's tables."""
    result = sweep(finished[0], folder)
    assert result.exit_code == 0, result.output
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert f"cell-{bad:05d}.parquet: {problem}" in warning
    assert "run again" in warning
    assert "2 cells were already done, 1 run now" in result.stdout
    assert cell(folder, bad).with_name(cell(folder, bad).name + ".rejected").exists()
    for name in ("results.csv", "summary.csv"):
        assert (folder / name).read_bytes() == (finished[1] / name).read_bytes()


def test_a_cell_copied_over_another_is_found_and_run_again(finished, copy):
    shutil.copy(cell(copy, 0), cell(copy, 2))
    resume_reports(finished, copy, 2, "holds cell 0, not cell 2 (copied over it?)")


@pytest.mark.parametrize(
    "content", [b"", b"garbage \xff\x00 not parquet", None], ids=["empty", "garbage", "truncated"]
)
def test_a_broken_cell_file_is_found_and_run_again(finished, copy, content):
    target = cell(copy, 1)
    target.write_bytes(target.read_bytes()[:200] if content is None else content)
    resume_reports(finished, copy, 1, "not a readable Parquet file")


def test_a_changed_cell_fails_its_checksum(finished, copy):
    target = cell(copy, 1)
    table = pq.read_table(target)
    rows = table.to_pandas()
    rows["referrals_per_year"] = rows["referrals_per_year"] + 1
    # Rewritten with its old record: the checksum no longer agrees.
    arrow = table.from_pandas(rows, preserve_index=False).replace_schema_metadata(
        table.schema.metadata
    )
    pq.write_table(arrow, target)
    resume_reports(finished, copy, 1, "its rows do not match their checksum")


def test_a_cell_with_replications_missing_is_run_again(finished, copy):
    target = cell(copy, 0)
    table = pq.read_table(target)
    record = json.loads(table.schema.metadata[CELL_METADATA])
    rows = table.to_pandas().iloc[:1]
    record["replications"] = [0]
    record["checksum"] = rows_checksum(rows)
    arrow = table.from_pandas(rows, preserve_index=False).replace_schema_metadata(
        {CELL_METADATA: json.dumps(record).encode()}
    )
    pq.write_table(arrow, target)
    resume_reports(finished, copy, 0, "holds replications 0 to 0 (1), not 0 to 1")


def test_a_cell_of_another_sweep_is_run_again(finished, copy, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(SWEEP.replace("replications = 2", "replications = 2\nseed = 99"))
    assert sweep(other, tmp_path / "other").exit_code == 0
    shutil.copy(cell(tmp_path / "other", 2), cell(copy, 2))
    resume_reports(finished, copy, 2, "holds a cell of another sweep")


@pytest.mark.parametrize(
    "content", [b"{ not json", b"\xff\xfe", b"[1, 2]", b""], ids=["json", "utf8", "array", "empty"]
)
def test_a_corrupt_manifest_is_reported_and_every_cell_kept(finished, copy, content):
    (copy / MANIFEST).write_bytes(content)
    cells = {p.name: p.read_bytes() for p in (copy / "cells").iterdir()}
    result = sweep(finished[0], copy)
    assert result.exit_code == 0, result.output
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert f"{copy / MANIFEST}: " in warning and "keeping those of the 3 saved cell" in warning
    assert "3 cells were already done, 0 run now" in result.stdout
    assert {p.name: p.read_bytes() for p in (copy / "cells").iterdir()} == cells
    assert json.loads((copy / MANIFEST).read_text())["complete"] is True
    for name in ("results.csv", "summary.csv"):
        assert (copy / name).read_bytes() == (finished[1] / name).read_bytes()


def test_a_corrupt_manifest_without_cells_is_never_touched(finished, tmp_path):
    folder = tmp_path / "not-a-sweep"
    folder.mkdir()
    (folder / MANIFEST).write_bytes(b"\x00\x01 garbage")
    (folder / "notes.txt").write_text("mine\n")
    before = {p: p.read_bytes() for p in folder.iterdir()}
    assert_one_line_error(sweep(finished[0], folder), "is not valid JSON", "no sweep cells")
    assert {p: p.read_bytes() for p in folder.iterdir()} == before


def test_two_sweeps_on_one_folder_the_second_is_refused(finished, copy):
    for saved in (copy / "cells").iterdir():
        saved.unlink()  # so that the second would have work to do
    before = files_under(copy)
    descriptor = os.open(copy / LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running sweep holds it
        os.write(descriptor, b"12345\n")
        assert_one_line_error(
            sweep(finished[0], copy), "another sweep (process 12345) is running in this folder"
        )
    finally:
        os.close(descriptor)
    assert files_under(copy) == before
    assert sweep(finished[0], copy).exit_code == 0  # once the first is gone


def test_the_untouched_sweep_has_every_cell_and_replication_once(finished):
    results = pd.read_csv(finished[1] / "results.csv")
    assert sorted(zip(results["cell"], results["replication"], strict=True)) == [
        (c, r) for c in range(3) for r in range(2)
    ]


def test_what_a_sweep_stopped_at_once_leaves_is_taken_up(finished, tmp_path):
    folder = tmp_path / "stopped"
    (folder / "cells").mkdir(parents=True)
    (folder / LOCK).write_text("999\n")  # stopped before its manifest was written
    result = sweep(finished[0], folder)
    assert result.exit_code == 0, result.output
    assert (folder / "results.csv").read_bytes() == (finished[1] / "results.csv").read_bytes()


def test_fresh_forgets_the_runs_of_the_sweep_it_discards(finished, copy, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(SWEEP.replace("[4, 5, 6]", "[4, 5]"))
    result = sweep(other, copy, "--fresh")
    assert result.exit_code == 0, result.output
    assert len(json.loads((copy / MANIFEST).read_text())["runs"]) == 1
