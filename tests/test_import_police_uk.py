"""`simdivert import police-uk`: a force's scenario from synthetic police.uk files,
their messy cases, and what a bad file says."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from police_uk_samples import (
    FORCE,
    MONTHS,
    month_path,
    month_rows,
    row,
    write_archive,
    write_file,
)
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.errors import UserError
from simdivert.importers.police_uk import rounded_shares
from simdivert.importers.scenario_toml import import_police_uk, search_finds_per_year
from simdivert.model.replication import run_replication
from simdivert.scenario.files import load_scenario

from conftest import SHORT

runner = CliRunner()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    return write_archive(tmp_path_factory.mktemp("police-uk"))


@pytest.fixture(scope="module")
def imported(archive: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("scenario") / "myforce.toml"
    return import_police_uk([archive], FORCE, "west_midlands", out)


def test_the_derived_values_are_the_files_counts(imported) -> None:
    demand = imported.scenario.demand
    assert demand.searches_per_year == 60 * 12
    assert demand.drug_search_share == 0.5  # every other search is for drugs
    assert demand.find_rate_drug_searches == 0.5  # every other drug search finds them
    # Hours 01:00..23:00, 720 searches: hours 1..14 get 36 each, 15..23 get 24, 0 none.
    counts = [0] + [36] * 14 + [24] * 9
    assert demand.hour_weights == [round(c / (720 / 24), 3) for c in counts]
    # 60 searches a month whatever its length: the rate a day follows 1 / days in month.
    days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # Jan 2024 .. Dec 2023 (leap)
    rates = [60 / d for d in days]
    assert demand.month_weights == [round(r / (sum(rates) / 12), 3) for r in rates]
    population = imported.scenario.population
    assert population.ethnic_group.shares().tolist() == [0.2] * 5  # self-defined, with mixed
    assert population.age_band.under_18 == 0.4  # "under 10" and "10-17"
    assert population.sex.female == round(84 / 180, 4)  # searches 4, 12, 20, ... of each 8


def test_equity_follows_the_files_searched_mix_against_the_base_population(imported) -> None:
    equity = imported.scenario.equity
    # Every group is searched equally often and finds drugs as often as white people.
    assert equity.find_rate_ratio.values().tolist() == [1.0] * 5
    population = equity.population  # the base scheme's: police.uk gives none
    assert equity.search_rate_ratio.black == round(population.white / population.black, 3)
    # So the model's searches have the files' mix whatever the population.
    assert equity.search_shares() == pytest.approx([0.2] * 5, abs=1e-3)
    assert any("equity.population: police.uk gives no population" in q for q in imported.quality)


def test_the_scenario_extends_the_scheme_comments_every_value_and_runs(imported) -> None:
    text = imported.path.read_text()
    assert 'extends = "west_midlands"' in text
    lines = text.splitlines()
    values = lines[: lines.index("[[areas]]")]  # the force-wide area is commented as a whole
    body = [line for line in values if "=" in line and not line.startswith("#")]
    for line in body[3:]:  # after extends, name and description
        above = lines[lines.index(line) - 1]
        assert above.startswith("#"), line
    assert "# [derived] 720 searches (2023-04 to 2024-03, 12 months), scaled to a year" in text
    scenario = load_scenario(imported.path, SHORT)
    result = run_replication(scenario, scenario.run.seed, 0)
    assert result.kpis["referrals_per_year"] > 0


def test_staffing_follows_the_force_finds(imported) -> None:
    base = load_scenario("west_midlands")
    factor = search_finds_per_year(imported.scenario.demand.model_dump()) / search_finds_per_year(
        base.demand.model_dump()
    )
    assert imported.scenario.provider.drug_workers == max(round(5 * factor, 1), 0.5)
    assert imported.scenario.demand.other_finds_per_year == round(2300 * factor)
    assert [a.name for a in imported.scenario.areas] == [FORCE]


def test_importing_twice_gives_the_same_file(archive: Path, imported, tmp_path: Path) -> None:
    again = import_police_uk([archive], FORCE, "west_midlands", tmp_path / "again.toml")
    assert again.path.read_bytes() == imported.path.read_bytes()


def test_shares_sum_to_exactly_one() -> None:
    shares = rounded_shares(pd.Series({"a": 1, "b": 1, "c": 1}))
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
    assert sorted(shares.values()) == [0.3333, 0.3333, 0.3334]


def messy_month(month: str) -> list[dict[str, str]]:
    rows = month_rows(month, 40)
    rows[0]["Date"] = f"{month}-03T00:00:00+01:00"  # date only, stamped at midnight
    rows[1]["Date"] = f"03/{month[5:]}/{month[:4]} 18:40"  # re-saved by a spreadsheet
    rows[2]["Date"] = f"{month}-04"  # a date without a time
    rows[3]["Date"] = "yesterday"
    rows[5]["Date"] = ""
    rows[6]["Gender"] = ""
    rows[7]["Officer-defined ethnicity"] = "Martian"
    rows[7]["Self-defined ethnicity"] = "Other ethnic group - Not stated"
    rows[8]["Age range"] = "adult"
    rows[9]["Outcome"] = "Taken to the moon"
    rows[10]["Outcome linked to object of search"] = ""
    return rows


def test_messy_files_are_summarised(tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    months = [m for m in MONTHS if m != "2023-07"]  # a month missing
    for month in months:
        write_file(month_path(folder, month), messy_month(month))
    write_file(month_path(folder, "2023-05", "kent"), month_rows("2023-05"))  # another force
    outcome = import_police_uk([folder], FORCE, "west_midlands", tmp_path / "messy.toml")
    quality = "\n".join(outcome.quality)
    assert "files read: 11 (1 files of other forces left out)" in quality
    assert "months missing: 2023-07" in quality
    assert "rows: 440 read, 418 used" in quality
    assert "rows dropped, date not readable: 11 (first: 2023-04-west-midlands" in quality
    assert "line 5)" in quality  # the 4th data row
    assert "rows dropped, no date: 11" in quality
    assert "left out of the hour profile: 22" in quality  # midnight and date-only rows
    assert "not recognised in 'Officer-defined ethnicity': 'Martian' (11)" in quality
    assert "not recognised in 'Age range': 'adult' (11)" in quality
    assert "not recognised in 'Outcome': 'Taken to the moon' (11)" in quality
    assert "empty 'Gender': 11 rows" in quality
    assert "demand.month_weights: no searches in calendar month(s) 7;" in quality
    # 418 searches over 11 months, scaled to a year.
    assert outcome.scenario.demand.searches_per_year == round(418 / 11 * 12)
    assert outcome.scenario.demand.weekday_weights is not None


def _cli(*args: str):
    return runner.invoke(app, ["import", "police-uk", *args])


def _another_force(folder: Path) -> Path:
    return write_file(folder / "2023-04-kent-stop-and-search.csv", month_rows("2023-04"))


def _not_police_uk(folder: Path) -> Path:
    return write_file(folder / "crimes.csv", [{"Crime ID": "1"}], columns=["Crime ID"])


def _not_utf8(folder: Path) -> Path:
    good = write_file(folder / "good.csv", [row()]).read_bytes()
    path = folder / "latin1.csv"
    path.write_bytes(good + "Caf\xe9,\n".encode("latin-1"))
    return path


def _not_csv(folder: Path) -> Path:
    good = write_file(folder / "good.csv", [row()]).read_text()
    path = folder / "ragged.csv"
    path.write_text(good + "a,b,c," * 8 + "\n")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_another_force, "2023-04-kent-stop-and-search.csv: a file of another force ('kent'"),
        (_not_police_uk, "crimes.csv: line 1: not a police.uk stop-and-search file (no column"),
        (_not_utf8, "latin1.csv: line 3: not UTF-8 text (byte 0xe9)"),
        (
            _not_csv,
            "ragged.csv: not a CSV file police.uk would write: Expected 15 fields in line 3",
        ),
    ],
    ids=["another force", "not police.uk", "not UTF-8", "not CSV"],
)
def test_a_bad_file_is_one_line_and_nothing_is_written(tmp_path: Path, make, message) -> None:
    bad = make(tmp_path)
    out = tmp_path / "myforce.toml"
    out.write_text("# kept\n")
    result = _cli(str(bad), "--force", FORCE, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert out.read_text() == "# kept\n"
    assert [p.name for p in tmp_path.glob(".*partial*")] == []


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("afile/myforce.toml", "afile is a file, not a folder"),
        ("/proc/myforce.toml", "cannot write in /proc"),
    ],
    ids=["parent is a file", "cannot write"],
)
def test_a_bad_destination_is_refused_before_reading(archive, tmp_path, out, message) -> None:
    (tmp_path / "afile").write_text("kept\n")
    target = out if out.startswith("/") else str(tmp_path / out)
    result = _cli(str(archive), "--force", FORCE, "--out", target)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (tmp_path / "afile").read_text() == "kept\n"


def test_a_month_given_twice_is_an_error(archive: Path, tmp_path: Path) -> None:
    copy = write_file(tmp_path / "2023-04" / month_path(tmp_path, "2023-04").name, [row()])
    with pytest.raises(UserError, match="month 2023-04 is also in"):
        import_police_uk([archive, copy], FORCE, "west_midlands", tmp_path / "x.toml")


def test_the_command_prints_the_summary_and_the_file_validates(archive, tmp_path) -> None:
    out = tmp_path / "myforce.toml"
    result = _cli(str(archive), "--force", FORCE, "--scheme", "status_quo", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Data quality" in result.output
    assert "months present: 12 (2023-04 to 2024-03, 12 months)" in result.output
    assert 'extends = "status_quo"' in out.read_text()
    checked = runner.invoke(app, ["validate", str(out)])
    assert checked.exit_code == 0, checked.output


def test_a_scheme_file_is_extended_by_its_path(archive: Path, tmp_path: Path) -> None:
    scheme = tmp_path / "schemes" / "ours.toml"
    scheme.parent.mkdir()
    scheme.write_text('extends = "west_midlands"\n[provider]\ndrug_workers = 10\n')
    out = tmp_path / "forces" / "myforce.toml"
    outcome = import_police_uk([archive], FORCE, str(scheme), out, scale_staffing=False)
    assert 'extends = "../schemes/ours.toml"' in out.read_text()
    assert outcome.scenario.provider.drug_workers == 10


def test_text_from_the_data_cannot_break_out_of_a_comment(tmp_path: Path) -> None:
    rows = month_rows("2023-04")
    rows[0]["Outcome"] = 'x\n[provider]\ndrug_workers = 99\n"'
    path = write_file(month_path(tmp_path, "2023-04"), rows)
    outcome = import_police_uk([path], "West\nMidlands", "west_midlands", tmp_path / "x.toml")
    assert outcome.scenario.provider.drug_workers != 99
    text = outcome.path.read_text()
    assert "\ndrug_workers = 99" not in text
    assert all(line.startswith("#") for line in text.splitlines()[:8])


def test_files_with_no_usable_row_are_an_error(tmp_path: Path) -> None:
    path = write_file(month_path(tmp_path, "2023-04"), [row(Date="soon"), row(Date="")])
    with pytest.raises(
        UserError, match=r"no searches with a readable date in 1 file\(s\): 1 no date"
    ):
        import_police_uk([path], FORCE, "west_midlands", tmp_path / "x.toml")
    assert not (tmp_path / "x.toml").exists()
