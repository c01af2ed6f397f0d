"""Rosters: absence, admin time, evenings and staffing changes; backlog; costs."""

import numpy as np
import pytest

from simdivert.clock import HOURS_PER_DAY
from simdivert.errors import ScenarioError
from simdivert.model.replication import run_replication, simulate
from simdivert.model.roster import (
    duty_changes,
    on_duty_hours,
    workers_on_calls_by_day,
    workforce_by_day,
)
from simdivert.model.rules import DIVERTED
from simdivert.scenario.files import load_scenario
from simdivert.scenario.schema import Workforce

from conftest import short_scenario

EVERYONE_ON_CALLS = ("provider.availability=1", "provider.admin_share=0")


def on_calls_at(times, counts, hours):
    return counts[np.searchsorted(times, hours, side="right") - 1]


def test_full_availability_and_no_admin_puts_everyone_on_calls():
    scenario = short_scenario(
        "provider.drug_workers=4", "provider.availability=1", "provider.admin_share=0"
    )
    times, counts = duty_changes(scenario, np.random.default_rng(0))
    assert set(counts.tolist()) == {0, 4}
    monday_noon = on_calls_at(times, counts, np.array([12.0, 24 * 5 + 12.0]))
    assert monday_noon.tolist() == [4, 0]  # Monday at work, Saturday not


def test_absence_and_admin_reduce_workers_on_calls_on_average():
    scenario = short_scenario(
        "run.years=2",
        "provider.drug_workers=5",
        "provider.availability=0.85",
        "provider.admin_share=0.3",
    )
    times, counts = duty_changes(scenario, np.random.default_rng(1))
    days = np.arange(int(scenario.horizon_hours // HOURS_PER_DAY))
    weekdays = days[days % 7 < 5]
    noon = on_calls_at(times, counts, weekdays * HOURS_PER_DAY + 12.0)
    assert noon.mean() == pytest.approx(5 * 0.85 * 0.7, abs=0.1)
    assert on_duty_hours(times, counts, 0, scenario.horizon_hours) == pytest.approx(
        noon.sum() * 8, rel=1e-9
    )


def test_evening_sessions_take_a_share_of_the_day():
    scenario = short_scenario(
        "run.years=1",
        "provider.drug_workers=6",
        'provider.evening_days=["Tue", "Thu"]',
        "provider.evening_end_hour=20",
        "provider.evening_staff_share=0.5",
        *EVERYONE_ON_CALLS,
    )
    times, counts = duty_changes(scenario, np.random.default_rng(2))
    days = np.arange(int(scenario.horizon_hours // HOURS_PER_DAY))
    tuesdays = days[days % 7 == 1]
    wednesdays = days[days % 7 == 2]
    assert on_calls_at(times, counts, tuesdays * 24 + 18.0).mean() == pytest.approx(3, abs=0.2)
    assert (on_calls_at(times, counts, wednesdays * 24 + 18.0) == 0).all()


def test_staffing_changes_take_effect_from_their_day():
    scenario = short_scenario(
        "run.years=1",
        "run.warmup_days=0",
        "provider.drug_workers=2",
        "staffing=[{ from_day = 100, drug_workers = 7 }]",
        *EVERYONE_ON_CALLS,
    )
    times, counts = duty_changes(scenario, np.random.default_rng(3))
    assert counts[times < 100 * 24].max() == 2
    assert counts[times >= 101 * 24].max() == 7


def test_staffing_changes_must_be_in_order():
    with pytest.raises(ScenarioError) as caught:
        short_scenario("staffing=[{ from_day = 100 }, { from_day = 50 }]")
    assert caught.value.key == "staffing"


def test_a_backlog_enters_the_pathway_at_its_stage():
    scenario = short_scenario(
        "backlog.waiting_for_contact=20",
        "backlog.waiting_for_assessment=30",
        "backlog.waiting_for_course=40",
        "backlog.waited_days=10",
        "run.warmup_days=0",
    )
    pathway = simulate(scenario, 1, 0).pathway
    waiting = pathway.referral_hours < 0
    assert waiting.sum() == 90
    assert np.all(pathway.referral_hours[waiting] == -10 * 24)
    assert np.sum(pathway.assessed[waiting] & np.isnan(pathway.assessment_hours[waiting])) == 40
    assert np.sum(pathway.first_contact_hours[waiting] == -240) == 30


def test_a_backlog_can_be_read_from_a_csv(tmp_path):
    (tmp_path / "waiting.csv").write_text("stage,waited_days\ncourse,3\nassessment,12.5\n")
    (tmp_path / "today.toml").write_text(
        'extends = "west_midlands"\n[backlog]\nfile = "waiting.csv"\n'
    )
    scenario = load_scenario(tmp_path / "today.toml")
    assert [(p.stage, p.waited_days) for p in scenario.backlog.waiting()] == [
        ("course", 3.0),
        ("assessment", 12.5),
    ]


def test_a_bad_backlog_csv_names_file_and_line(tmp_path):
    (tmp_path / "waiting.csv").write_text("stage,waited_days\ncourse,three\n")
    (tmp_path / "today.toml").write_text(
        'extends = "west_midlands"\n[backlog]\nfile = "waiting.csv"\n'
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "today.toml")
    assert caught.value.source.endswith("waiting.csv") and caught.value.key == "line 2"


def test_provider_cost_adds_staff_sessions_and_overhead():
    scenario = short_scenario("run.years=1", "costs.cost_per_group_session=0")
    kpis = run_replication(scenario, 1, 0).kpis
    costs = scenario.costs
    expected = (
        scenario.provider.drug_workers * costs.pounds("drug_worker_cost_per_fte_year")
        + scenario.course.facilitators * costs.pounds("facilitator_cost_per_fte_year")
        + costs.pounds("provider_overhead_per_year")
    )
    assert kpis["provider_cost_per_year"] == pytest.approx(expected)
    assert kpis["police_cost_saved_per_year"] == pytest.approx(
        kpis["police_hours_saved_adjusted_per_year"] * costs.pounds("police_cost_per_hour")
    )


def test_a_backlog_stays_out_of_the_cohort_and_its_queues_are_sound():
    scenario = short_scenario(
        "backlog.waiting_for_course=300", "backlog.waited_days=0", "run.warmup_days=0"
    )
    base = run_replication(short_scenario("run.warmup_days=0"), 1, 0)
    with_backlog = run_replication(scenario, 1, 0)
    finds = simulate(scenario, 1, 0).finds
    referred_in_run = np.sum(finds.outcome == DIVERTED)
    assert with_backlog.kpis["referrals_per_year"] * scenario.run.years == pytest.approx(
        referred_in_run
    )
    assert with_backlog.kpis["course_queue_mean"] > base.kpis["course_queue_mean"] > 0
    assert (with_backlog.timeseries["queue_mean"] >= 0).all()


def test_no_scheme_no_backlog():
    scenario = short_scenario("policy.diversion=false", "backlog.waiting_for_assessment=50")
    assert simulate(scenario, 1, 0).pathway.size == 0


def test_workforce_off_leaves_the_rota_as_it_was():
    scenario = short_scenario()
    plain = workers_on_calls_by_day(scenario, np.random.default_rng(3))
    given = workers_on_calls_by_day(scenario, np.random.default_rng(3), np.random.default_rng(99))
    np.testing.assert_array_equal(plain, given)


def test_vacancies_turnover_and_sickness_take_caseloads_away():
    posts = np.full(2000, 6.0)
    full = Workforce()
    assert not full.active
    sick = Workforce(sickness_spells_per_year=6, sickness_spell_mean_days=5)
    at_work = workforce_by_day(sick, posts, np.random.default_rng(1))
    # About 6 spells of ~5.5 days a year: roughly 9% of days off sick.
    assert 0.85 < at_work.mean() / 6 < 0.95
    # Spells last several days: being at work today says much about tomorrow.
    off = at_work < 6
    assert np.mean(off[1:] & off[:-1]) > 0.5 * np.mean(off)
    churn = Workforce(turnover_per_year=1.0, recruitment_lag_days=60, ramp_up_days=30)
    at_work = workforce_by_day(churn, posts, np.random.default_rng(2))
    # Each post vacant ~60 of every ~365 + 60 days and then ramping up for 30.
    assert 0.75 < at_work.mean() / 6 < 0.9
    vacant = Workforce(vacancy_share=1.0, recruitment_lag_days=30, ramp_up_days=10)
    at_work = workforce_by_day(vacant, posts, np.random.default_rng(3))
    assert at_work[:30].sum() == 0 and at_work[29 + 10] == pytest.approx(6.0)
    assert at_work[30] == pytest.approx(6 * 0.1)


def test_posts_added_by_a_staffing_change_are_recruited_first():
    posts = np.concatenate([np.full(100, 2.0), np.full(100, 4.0)])
    lagged = Workforce(recruitment_lag_days=20)
    at_work = workforce_by_day(lagged, posts, np.random.default_rng(0))
    assert at_work[99] == 2 and at_work[119] == 2 and at_work[120] == 4


def test_the_rota_follows_the_workforce_in_a_replication():
    scenario = short_scenario(
        "provider.workforce={ vacancy_share = 0.4, recruitment_lag_days = 400 }",
        "provider.availability=1",
        "provider.admin_share=0",
    )
    times, counts = simulate(scenario, 1, 0).duty
    # The posts vacant at the start stay vacant all run: the same number on every shift.
    on_shift = set(counts[counts > 0].tolist())
    assert len(on_shift) == 1 and on_shift < {1, 2, 3, 4}
