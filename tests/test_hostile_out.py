"""Hostile destinations: ``--out`` is checked before any work, and a write that fails
anyway keeps the results somewhere safe and says where."""

import errno
import shutil
import tempfile
from pathlib import Path

import pytest
from hostile import SHORT, SHORT_SET, assert_one_line_error, cli, files_under

import simdivert.experiments.executors as executors
import simdivert.experiments.replications as replications
from simdivert.outputs import folders


@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if any replication runs: a bad destination must stop the command first."""

    def ran(*args, **kwargs):
        raise AssertionError("replications ran before the destination was checked")

    monkeypatch.setattr(replications, "run_experiments", ran)
    monkeypatch.setattr(executors, "open_executor", ran)


@pytest.mark.parametrize(
    ("out", "fragment"),
    [
        (".", "already exists"),
        ("", "already exists"),
        ("a-file/run", "a-file is a file, not a folder"),
        ("a-file", "already exists and is not empty"),
        ("/proc/simdivert/run", "cannot write in /proc"),
        ("..", "already exists and is not empty"),
    ],
    ids=["dot", "empty", "parent-is-a-file", "is-a-file", "read-only", "dot-dot"],
)
@pytest.mark.parametrize("command", ["run", "compare", "sensitivity", "staff"])
def test_a_bad_destination_is_refused_before_any_work(
    tmp_path, monkeypatch, no_run, command, out, fragment
):
    monkeypatch.chdir(tmp_path)
    Path("a-file").write_text("not a folder\n")
    if out == "..":
        Path("sub").mkdir()
        monkeypatch.chdir("sub")
    before = files_under(tmp_path)
    extra = {
        "compare": ["status_quo", "west_midlands"],
        "sensitivity": ["--vary", "provider.drug_workers=4:8"],
    }.get(command, [])
    assert_one_line_error(cli(command, *extra, "--workers", "1", "--out", out), fragment)
    assert files_under(tmp_path) == before


def test_an_empty_current_folder_is_still_not_a_destination(tmp_path, monkeypatch, no_run):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(cli("run", "--workers", "1", "--out", "."), "is the current folder")
    assert files_under(tmp_path) == set()


def test_a_full_disk_is_refused_before_any_work(tmp_path, monkeypatch, no_run):
    usage = shutil.disk_usage(tmp_path)._replace(free=1_000_000)
    monkeypatch.setattr(folders.shutil, "disk_usage", lambda path: usage)
    assert_one_line_error(cli("run", "--workers", "1", "--out", tmp_path / "r"), "1 MB free")
    assert files_under(tmp_path) == set()


def test_a_sweep_into_a_file_parent_is_refused(tmp_path):
    (tmp_path / "a-file").write_text("x\n")
    sweep = tmp_path / "s.toml"
    sweep.write_text('replications = 1\n[set]\n"run.years" = 0.05\n')
    before = files_under(tmp_path)
    assert_one_line_error(
        cli("sweep", sweep, "--workers", "1", "--out", tmp_path / "a-file" / "out"), "a-file"
    )
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("rescue_works", [True, False], ids=["rescued", "lost"])
def test_a_write_that_fails_after_the_run_keeps_the_results(tmp_path, monkeypatch, rescue_works):
    """The disk fills between the check and the write: the results go to a rescue folder
    in the temporary directory, and the one line says where (or that they are lost)."""
    rescue_root = tmp_path / "tmp"
    rescue_root.mkdir()
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(rescue_root))
    out = tmp_path / "out" / "run"
    real = folders._write_renamed

    def full_disk(path, writers):
        if path.parent == out.parent or not rescue_works:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, writers)

    monkeypatch.setattr(folders, "_write_renamed", full_disk)
    result = cli("run", *SHORT, *SHORT_SET, "--out", out)
    line = assert_one_line_error(result, f"{out}: cannot write (No space left on device)")
    assert not out.exists()
    if rescue_works:
        (kept,) = rescue_root.iterdir()
        assert str(kept) in line
        assert {"summary.csv", "replications.csv", "manifest.json"} <= set(files_under(kept))
    else:
        assert "the results are lost" in line
        assert files_under(rescue_root) == set()
