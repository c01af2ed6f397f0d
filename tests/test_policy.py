"""Scheme rules: no rule is broken in any replication, whatever the parameters."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simdivert.clock import HOURS_PER_DAY
from simdivert.model.replication import run_replication
from simdivert.scenario.files import builtin_scenarios, load_scenario
from simdivert.scenario.schema import Scenario

SCHEMES = ["west_midlands", "thames_valley", "avon_somerset", "durham_checkpoint", "north_wales"]


def events_of(scheme: str, *overrides: str, seed: int = 1) -> tuple[pd.DataFrame, Scenario]:
    """A short run of a scheme in which many people are found again (to exercise rules)."""
    scenario = load_scenario(
        scheme,
        [
            "run.years=0.5",
            "run.warmup_days=0",
            "policy.launch_after_days=0",
            "refind.rate_per_year=1.5",
            "demand.searches_per_year=12000",
            "demand.other_finds_per_year=800",
            *overrides,
        ],
    )
    return run_replication(scenario, seed, 0, keep_events=True).events, scenario


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scheme=st.sampled_from(SCHEMES),
    offer=st.floats(0.3, 1.0),
    attend=st.floats(0.0, 1.0),
    bar_days=st.sampled_from([0, 90, 365]),
    uncharged=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_no_rule_is_broken(scheme, offer, attend, bar_days, uncharged, seed):
    # ``uncharged``: not engaging goes unpunished (a contract scheme then charges only
    # a broken contract, which the last rule below checks).
    events, scenario = events_of(
        scheme,
        f"policy.adoption.start_share={offer}",
        f"policy.adoption.mature_share={offer}",
        "policy.adoption.waves=[]",
        f"engagement.group_attend_probability={attend}",
        f"policy.bar_after_disengagement_days={bar_days}",
        *(["policy.non_engagement_outcome=none"] if uncharged else []),
        seed=seed,
    )
    policy = scenario.policy
    diverted = events["outcome"] == "diverted"
    # Nobody barred is diverted.
    assert not (diverted & events["barred"]).any()
    # The bar is applied: a diversion never follows a disengagement within the bar.
    if policy.bar_after_disengagement_days > 0:
        bar_hours = policy.bar_after_disengagement_days * HOURS_PER_DAY
        ended = events[
            diverted & events["state"].astype(str).str.startswith(("disengaged", "not_c"))
        ]
        for row in ended.itertuples():
            later = events[
                (events["person"] == row.person) & diverted & (events["find_hours"] > row.end_hours)
            ]
            assert (later["find_hours"] >= row.end_hours + bar_hours).all()
    # Once-only schemes divert nobody twice.
    if policy.once_only:
        assert events[diverted].groupby("person").size().max() <= 1
    # Adults-only schemes divert no under-18s.
    if policy.adults_only:
        assert not (diverted & (events["age_band"] == "under_18")).any()
    # Every breach leads to prosecution: the new find is charged and so is the original.
    breaches = events[events["breach"]]
    assert (breaches["outcome"] == "charge").all()
    for row in breaches.itertuples():
        earlier = events[
            (events["person"] == row.person) & diverted & (events["find_hours"] < row.find_hours)
        ]
        assert (earlier["later_outcome"] == "charge").any()
    # Where not engaging is charged, every disengaged referral is charged.
    if policy.non_engagement_outcome == "charge":
        disengaged = diverted & events["state"].astype(str).isin(
            ["not_contacted", "disengaged_assessment", "disengaged_one_to_one", "disengaged_course"]
        )
        assert (events.loc[disengaged, "later_outcome"] == "charge").all()
    else:
        # Without that rule a later outcome comes only from a broken contract: the
        # diverted find of someone whose contract a later find breached.
        charged = events[events["later_outcome"] != "none"]
        last_breach = breaches.groupby("person")["find_hours"].max()
        assert policy.contract_days > 0 or charged.empty
        assert (charged["outcome"] == "diverted").all()
        assert (charged["person"].map(last_breach) > charged["find_hours"]).all()
    # Only schemes with a post-arrest route divert user-dealers.
    if not policy.user_dealer_route:
        assert not (diverted & (events["kind"] == "user_dealer")).any()
    # A custody route decides only on finds that lead to arrest (a charge or a caution).
    if policy.decided_in == "custody":
        assert events.loc[diverted, "counterfactual_outcome"].isin(["charge", "caution"]).all()
    # Every find has exactly one outcome, and only an offer is ever accepted.
    assert events["outcome"].notna().all() and not (diverted & ~events["offered"]).any()


def test_durham_breaches_happen_and_are_prosecuted():
    events, _ = events_of("durham_checkpoint", "refind.rate_per_year=4")
    assert events["breach"].sum() > 0


def test_thames_valley_pilot_area_goes_first():
    events, scenario = events_of("thames_valley", "run.years=1.5")
    diverted = events[(events["outcome"] == "diverted") & (events["age_band"] != "under_18")]
    first_year = diverted["find_hours"] < scenario.launch_hours + 365 * HOURS_PER_DAY
    assert set(diverted.loc[first_year, "area"].astype(str)) == {"Pilot area"}
    assert len(set(diverted.loc[~first_year, "area"].astype(str))) == 3
    youth = events[(events["outcome"] == "diverted") & (events["age_band"] == "under_18")]
    assert len(set(youth.loc[youth["find_hours"] < 365 * HOURS_PER_DAY, "area"].astype(str))) == 3


@pytest.mark.parametrize("name", builtin_scenarios())
def test_every_builtin_scenario_runs_end_to_end(name):
    scenario = load_scenario(
        name, ["run.years=0.3", "run.warmup_days=7", "policy.launch_after_days=30"]
    )
    kpis = run_replication(scenario, 1, 0).kpis
    assert kpis["finds_per_year"] > 0
    if scenario.policy.diversion:
        assert kpis["referrals_per_year"] > 0
    else:
        assert kpis["referrals_per_year"] == 0
        assert kpis["provider_cost_per_year"] == 0
        assert np.isnan(kpis["share_completed"])


def test_a_rule_of_one_scheme_does_not_shift_the_draws_of_another():
    """Durham's custody route and the user-dealers' own population change who is diverted
    there, not the finds, people or counterfactuals of possession finds."""
    base, _ = events_of("north_wales")
    custody, _ = events_of("north_wales", 'policy.decided_in="custody"')
    no_population, _ = events_of("north_wales", "population.user_dealers.possible_dependence=0")
    first = base[base["find"] == base["person"]]  # a person's first find in the run
    possession = first["kind"].to_numpy() == "possession"
    for other in (custody, no_population):
        same = other.set_index("find").loc[first["find"]]
        for column in ("find_hours", "age_band", "substance", "counterfactual_outcome"):
            before = first[column].to_numpy()[possession]
            assert (same[column].to_numpy()[possession] == before).all()
    # The user-dealers' own population: mostly "other" (heroin and crack), routed to treatment.
    dealers = base[(base["kind"] == "user_dealer") & (base["outcome"] == "diverted")]
    assert (dealers["route"].dropna().astype(str).isin(["one_to_one", "none"])).all()
