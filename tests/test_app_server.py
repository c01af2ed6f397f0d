"""Starting the page (``simdivert app``), the levers read from the schema, and the scenario
file the page offers for download."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import simdivert as sd
from simdivert.app import server
from simdivert.app.levers import MAIN_LEVERS, changed, scenario_levers
from simdivert.cli.app import app
from simdivert.scenario.files import scenario_as_toml


def test_the_server_sends_nothing_off_the_machine():
    command = server.streamlit_command("127.0.0.1", 8765)
    assert command[1:5] == ["-m", "streamlit", "run", str(server.PAGE)]
    assert "--browser.gatherUsageStats=false" in command
    assert "--server.headless=true" in command
    assert "--server.address=127.0.0.1" in command
    assert "--server.port=8765" in command
    assert server.PAGE.is_file()


def test_simdivert_app_passes_host_and_port(monkeypatch):
    served = []
    monkeypatch.setattr(server, "serve", lambda host, port: served.append((host, port)) or 0)
    result = CliRunner().invoke(app, ["app", "--port", "9000", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert served == [("0.0.0.0", 9000)]
    assert "http://0.0.0.0:9000" in result.output
    assert CliRunner().invoke(app, ["app"]).exit_code == 0
    assert served[-1] == ("127.0.0.1", 8501)


def test_a_bad_port_is_one_line():
    result = CliRunner().invoke(app, ["app", "--port", "0"])
    assert result.exit_code == 2
    assert "--port" in result.output


def test_levers_carry_the_schema_bounds_and_choices():
    levers = {lever.key: lever for lever in scenario_levers(sd.load_scenario("west_midlands"))}
    offer = levers["policy.adoption.start_share"]
    assert (offer.kind, offer.low, offer.high) == ("float", 0.0, 1.0)
    assert offer.label == MAIN_LEVERS["Offer and adoption"]["policy.adoption.start_share"].label
    assert (levers["contact.max_attempts"].kind, levers["contact.max_attempts"].low) == ("int", 1)
    assert levers["policy.non_engagement_outcome"].choices == ("none", "charge")
    assert levers["run.start_date"].kind == "date"
    assert levers["refind.rate_per_year"].label == "rate per year"  # not a main lever
    assert "areas" not in levers and "demand.weekday_weights" not in levers  # lists
    assert not changed(offer, offer.value + 1e-15) and changed(offer, offer.value + 0.1)


@pytest.mark.parametrize("name", sd.builtin_scenarios())
def test_the_scenario_file_loads_back_to_the_same_scenario(name, tmp_path):
    scenario = sd.load_scenario(name, set={"provider.drug_workers": 7})
    path = tmp_path / "edited.toml"
    path.write_text(scenario_as_toml(scenario, "# a header\n"))
    assert path.read_text().startswith("# a header\n")
    assert sd.load_scenario(path) == scenario
