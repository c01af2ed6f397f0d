"""Hostile names: a scenario's or a sweep's name never writes outside ``outputs/``."""

from pathlib import Path

import pytest
from hostile import SHORT, SHORT_SET, cli, files_under
from hypothesis import given
from hypothesis import strategies as st

from simdivert.experiments.sweep_cells import plan_sweep
from simdivert.outputs.folders import MAX_NAME_CHARACTERS, default_run_dir, safe_folder_name
from simdivert.outputs.sweep_writer import default_sweep_dir

HOSTILE_NAMES = [
    "../../x",
    "/tmp/absolute",
    "..",
    ".",
    ".hidden",
    "a/b\\c",
    "~/home",
    "con:nul|*?<>",
    "x" * 500,
    "naïve name with spaces",
    "\x00nul",
]


@given(st.text())
def test_a_safe_folder_name_is_one_plain_folder_name(name):
    safe = safe_folder_name(name)
    assert safe and len(safe) <= MAX_NAME_CHARACTERS
    assert set(safe) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    assert not safe.startswith(".") and safe not in {".", ".."}
    root = Path("/some/outputs")
    assert default_run_dir(name, root).parent == root


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_a_run_of_a_hostile_name_writes_inside_outputs_only(tmp_path, monkeypatch, name):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    scenario = work / "named.toml"
    toml_name = name.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "\\u0000")
    scenario.write_text(f'extends = "west_midlands"\nname = "{toml_name}"\n')
    result = cli("run", scenario, *SHORT, *SHORT_SET)
    assert result.exit_code == 0, result.output
    written = files_under(work) - {"named.toml"}
    (folder,) = {path.split("/")[1] for path in written if path.count("/") == 1}
    assert all(path.startswith("outputs") for path in written)
    assert (work / "outputs" / folder / "summary.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]  # nothing beside it


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute-sweep"])
def test_a_sweep_of_a_hostile_name_resumes_inside_outputs(tmp_path, name):
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'name = "{name}"\nreplications = 1\n[set]\n"run.years" = 0.05\n')
    folder = default_sweep_dir(plan_sweep(sweep), tmp_path / "outputs")
    assert folder.parent == tmp_path / "outputs"
    assert folder.name.startswith("sweep-") and "/" not in folder.name
