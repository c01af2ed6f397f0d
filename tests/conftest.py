"""Shared fixtures: short horizons and few replications keep the suite fast."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.scenario.files import load_scenario
from simdivert.scenario.schema import Scenario

# Officers have adopted the scheme (the default's share five years on): short runs from
# the launch see embedded demand; the adoption curve itself is tested in test_rules.py.
EMBEDDED = ("policy.adoption.start_share=0.72", "policy.adoption.mature_share=0.72")
SHORT = (
    "run.years=0.2",
    "run.warmup_days=14",
    "run.replications=2",
    "policy.launch_after_days=0",
    *EMBEDDED,
)

# Overrides shared by the verification tests.
ROUND_THE_CLOCK = (
    'provider.working_days=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]',
    "provider.day_start_hour=0",
    "provider.day_end_hour=24",
)
NO_SESSIONS = (
    "course.sessions_per_week={ cannabis = 0, cocaine = 0, nitrous_oxide = 0, general = 0, "
    "under_18 = 0 }"
)


def short_scenario(*overrides: str) -> Scenario:
    """The default scenario over a short horizon, with extra ``--set`` style overrides."""
    return load_scenario(None, [*SHORT, *overrides])


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return short_scenario()


# Two measured years with the default launch (after 365 days): a year before the launch
# (y0) and a policy year (y1), so per-year KPIs and the launch are in the report.
REPORT_OPTIONS = ["--years", "2", "--reps", "2", "--set", "run.warmup_days=7", "--workers", "1"]
REPORT_RUN = ["run", *REPORT_OPTIONS, "--seed", "3", "--report"]
COMPARED = ("status_quo", "west_midlands", "thames_valley")


@pytest.fixture(scope="session")
def reported_run(tmp_path_factory) -> Path:
    """A run written with ``--report`` (which keeps the event log too)."""
    out = tmp_path_factory.mktemp("reported") / "run"
    result = CliRunner().invoke(app, [*REPORT_RUN, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def reported_comparison(tmp_path_factory) -> Path:
    """``simdivert compare status_quo west_midlands thames_valley --report``, two years."""
    out = tmp_path_factory.mktemp("compared") / "compare"
    args = ["compare", *COMPARED, *REPORT_OPTIONS, "--seed", "5", "--report", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def dask_address():
    """A real Dask scheduler and worker on loopback TCP, in this process (threads)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


SWEEP_HEADER = (
    'scenario = "west_midlands"\nreplications = 2\nseed = 1\n\n[set]\n'
    '"run.years" = 0.1\n"run.warmup_days" = 7\n"policy.launch_after_days" = 0\n'
)
VARIANTS = (
    '\n[[variants]]\nlabel = "demand as now"\n'
    '\n[[variants]]\nlabel = "demand +20%"\n'
    'set = { "demand.searches_per_year" = 31646, "demand.other_finds_per_year" = 2760 }\n'
)
SWEEPS = {
    # variants alone, one of them another scheme's scenario
    "variants": SWEEP_HEADER + VARIANTS + '\n[[variants]]\nlabel = "Thames Valley rules"\n'
    'scenario = "thames_valley"\n',
    # the README's example: a grid crossed with variants
    "readme": SWEEP_HEADER + '\n[grid]\n"provider.drug_workers" = [4, 6]\n' + VARIANTS,
    # a grid of two keys
    "grid": SWEEP_HEADER + '\n[grid]\n"provider.drug_workers" = [3, 5]\n'
    '"course.places_per_session" = [8, 12]\n',
}


def run_sweep_with_report(folder: Path, kind: str) -> Path:
    """``simdivert sweep FILE --report`` of one of :data:`SWEEPS`, into ``folder``."""
    sweep_file = folder / f"{kind}.toml"
    sweep_file.write_text(f'name = "{kind}"\n' + SWEEPS[kind])
    out = folder / f"sweep-{kind}"
    args = ["sweep", str(sweep_file), "--out", str(out), "--workers", "1", "--report"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def reported_sweeps(tmp_path_factory) -> dict[str, Path]:
    """A reported sweep of each kind in :data:`SWEEPS`."""
    folder = tmp_path_factory.mktemp("sweeps")
    return {kind: run_sweep_with_report(folder, kind) for kind in SWEEPS}


@pytest.fixture(scope="session")
def reported_sensitivity(tmp_path_factory) -> Path:
    """``simdivert sensitivity --report`` of two factors, short."""
    out = tmp_path_factory.mktemp("sensitivity") / "sensitivity"
    args = ["sensitivity", "--years", "0.1", "--reps", "2", "--samples", "4", "--workers", "1"]
    args += ["--set", "run.warmup_days=7", "--set", "policy.launch_after_days=0"]
    args += ["--vary", "provider.drug_workers=4:6", "--vary", "engagement.patience_days=7:21"]
    result = CliRunner().invoke(app, [*args, "--report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def reported_staffing(tmp_path_factory) -> Path:
    """``simdivert staff --report`` against one target, a quarter of a year, small demand."""
    out = tmp_path_factory.mktemp("staffing") / "plan"
    small = [
        "run.years=0.25",
        "run.warmup_days=14",
        "policy.launch_after_days=0",
        *EMBEDDED,
        "demand.searches_per_year=4000",
        "demand.other_finds_per_year=300",
    ]
    args = ["staff", *[a for s in small for a in ("--set", s)], "--reps", "2", "--workers", "1"]
    args += ["--target", "assessment_wait_p90_days<=14", "--report", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def whole_window_kpis(scenario: Scenario) -> set[str]:
    """The KPIs (less per-year ones) a replication of ``scenario`` has: the catalogue,
    those counted per course stream, with more than one area those counted per area, and
    those of its cohorts."""
    from simdivert.kpis import (
        AREA_KPIS,
        CATALOGUE,
        STREAM_KPIS,
        area_kpi,
        cohort_kpi_names,
        stream_kpi,
    )

    areas = [area.name for area in scenario.areas] if len(scenario.areas) > 1 else []
    cohorts = {name for cohort in scenario.cohorts for name in cohort_kpi_names(cohort.name)}
    in_areas = {area_kpi(area, kpi) for area in areas for kpi in AREA_KPIS}
    in_streams = {stream_kpi(kpi, stream) for kpi in STREAM_KPIS for stream in scenario.streams}
    return set(CATALOGUE) | in_streams | in_areas | cohorts
