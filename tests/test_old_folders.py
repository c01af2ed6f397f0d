"""Folders written by simdivert 0.1.0 (before the layered package) still make reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simdivert.cli.app import app

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize("folder", ["run_v0.1.0", "compare_v0.1.0"])
def test_a_report_is_rebuilt_from_a_folder_written_by_0_1_0(folder, tmp_path):
    copy = shutil.copytree(FIXTURES / folder, tmp_path / folder)
    result = CliRunner().invoke(app, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    html = (copy / "report.html").read_text()
    assert "<img" in html
    assert (copy / "figures").is_dir()
