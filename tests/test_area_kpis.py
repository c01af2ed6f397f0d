"""KPIs per area: the force's definitions applied to each area's people, adding up to the
force's counts; named after the area and known to the catalogue."""

from __future__ import annotations

import math

import pytest

from simdivert.kpis import area_kpi, area_slug, is_kpi, kpi_label, kpi_unit, split_area
from simdivert.model.replication import run_replication

from conftest import short_scenario


@pytest.fixture(scope="module")
def kpis() -> dict[str, float]:
    return run_replication(short_scenario("run.years=0.3"), 4, 0).kpis


def test_area_counts_add_up_to_the_force(kpis):
    scenario = short_scenario()
    areas = [area.name for area in scenario.areas]
    assert len(areas) > 1
    for kpi in ("referrals_per_year", "police_hours_saved_adjusted_per_year"):
        total = sum(kpis[area_kpi(area, kpi)] for area in areas)
        assert total == pytest.approx(kpis[kpi])
    assert kpis[area_kpi(areas[0], "referrals_per_year")] > 0


def test_area_shares_and_waits_are_the_force_measures_of_each_area(kpis):
    areas = short_scenario().areas
    shares = [kpis[area_kpi(a.name, "share_completed")] for a in areas]
    referrals = [kpis[area_kpi(a.name, "referrals_per_year")] for a in areas]
    weighted = sum(s * r for s, r in zip(shares, referrals, strict=True) if r) / sum(referrals)
    assert weighted == pytest.approx(kpis["share_completed"])
    waits = [kpis[area_kpi(a.name, "assessment_wait_p90_days")] for a in areas]
    finite = [w for w in waits if not math.isnan(w)]
    assert min(finite) <= kpis["assessment_wait_p90_days"] <= max(finite)


def test_a_single_area_scenario_has_no_area_kpis():
    one = 'areas=[{ name = "all", demand_share = 1.0 }]'
    kpis = run_replication(short_scenario(one, "run.years=0.05"), 1, 0).kpis
    assert not any(split_area(name) for name in kpis)


def test_area_kpis_are_named_and_labelled():
    name = area_kpi("Rest of force (north)", "assessment_wait_p90_days")
    assert name == "area_rest_of_force_north_assessment_wait_p90_days"
    assert split_area(name) == ("rest_of_force_north", "assessment_wait_p90_days")
    assert is_kpi(name) and kpi_unit(name) == "days"
    assert kpi_label(name) == "wait to assessment for 9 in 10 in Rest of force north"
    assert area_slug("Birmingham") == "birmingham"
    assert split_area("area_x_unknown_kpi") is None
