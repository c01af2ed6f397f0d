"""Money: what the provider costs, what the commissioner pays, and the public purse's net
cost against the status quo on the same finds, all in one price year.

The provider's cost is built up from staff in post (drug workers per FTE, fractions
allowed; facilitators salaried per FTE or sessional, paid per hour of session and
preparation actually run), a cost per group session, and an overhead (a fixed sum and
a share of the staff cost, so it scales with the scheme's size). A contract price (per
referral, per year or both), where the scenario has one, is what the commissioner pays
instead. Savings are the police time (officer hours, or a cost per possession crime
formally dealt with), the courts' costs and prison places of the charges the scheme
avoids. Every figure is converted to ``costs.price_year`` prices
(:mod:`simdivert.scenario.prices`).
"""

from __future__ import annotations

import math

import numpy as np

from simdivert.clock import HOURS_PER_YEAR
from simdivert.model.demand import POSSESSION, Demand
from simdivert.model.police import FindsLog
from simdivert.model.rules import CHARGE, FORMAL_CODES
from simdivert.model.window import Window
from simdivert.scenario.outcome_settings import money_in
from simdivert.scenario.schema import Scenario


def provider_cost(scenario: Scenario, period: Window, sessions_held: float) -> float:
    """The provider's cost over the period: staff, sessions and overhead."""
    costs = scenario.costs
    course = scenario.course
    staff = 0.0
    for staffing in scenario.staffing_periods():
        overlap = max(
            0.0, min(period.end, staffing.end_hours) - max(period.start, staffing.start_hours)
        )
        salaried = staffing.course.facilitators if costs.facilitator_pay == "salaried" else 0
        staff += (overlap / HOURS_PER_YEAR) * (
            staffing.drug_workers * costs.pounds("drug_worker_cost_per_fte_year")
            + salaried * costs.pounds("facilitator_cost_per_fte_year")
        )
    if costs.facilitator_pay == "sessional":
        hours = course.facilitators_per_session * (
            course.session_hours + course.prep_hours_per_session
        )
        staff += sessions_held * hours * costs.pounds("facilitator_cost_per_hour")
    overhead = (
        costs.pounds("provider_overhead_per_year") * period.years
        + costs.overhead_share_of_staff_cost * staff
    )
    return staff + sessions_held * costs.pounds("cost_per_group_session") + overhead


def commissioning_cost(
    scenario: Scenario, period: Window, referrals: float, provider: float
) -> float:
    """What the commissioner pays over the period: the contract price if the scenario has
    one, else the provider's cost."""
    costs = scenario.costs
    if not costs.has_contract_price:
        return provider
    return referrals * costs.pounds("contract_price_per_referral") + period.years * costs.pounds(
        "contract_price_per_year"
    )


def formal_outcomes_avoided(demand: Demand, finds: FindsLog, period: Window) -> float:
    """Possession finds in the period with a formal outcome without the scheme, less those
    with one under it (at the find or a later charge), on the same finds."""
    in_period = (finds.hours >= period.start) & (finds.hours < period.end)
    possession = in_period & (demand.person_kind[finds.person] == POSSESSION)
    formal = np.isin(finds.outcome, FORMAL_CODES) | (finds.later_outcome == CHARGE)
    status_quo = np.isin(finds.counterfactual, FORMAL_CODES)
    return float(np.sum(status_quo & possession) - np.sum(formal & possession))


def cost_kpis(
    scenario: Scenario,
    demand: Demand,
    finds: FindsLog,
    period: Window,
    completions: float,
    kpis: dict[str, float],
) -> dict[str, float]:
    """Provider and commissioning costs, police savings by both methods, and the net
    public cost a year against the status quo; needs the pathway, capacity, police, court
    and reoffending KPIs of the same period in ``kpis``."""
    costs = scenario.costs
    years = period.years

    def per_year(amount: float) -> float:
        return amount / years if years > 0 else math.nan

    if scenario.policy.diversion:
        sessions = kpis["group_sessions_per_year"] * years
        referrals = kpis["referrals_per_year"] * years
        provider = provider_cost(scenario, period, sessions)
        paid = commissioning_cost(scenario, period, referrals, provider)
    else:  # no provider, nothing to pay
        referrals, provider, paid = 0.0, 0.0, 0.0
    police_hours = kpis["police_hours_saved_adjusted_per_year"] * costs.pounds(
        "police_cost_per_hour"
    )
    per_crime = per_year(formal_outcomes_avoided(demand, finds, period)) * costs.pounds(
        "police_cost_per_possession_crime"
    )
    police = police_hours if costs.police_cost_method == "officer_hours" else per_crime
    prison = kpis["prison_places_avoided"] * money_in(
        scenario.courts.prison_cost_per_place_year, costs.price_year
    )
    net = per_year(paid) - police - kpis["court_cost_saved_per_year"] - prison
    avoided = kpis["reoffences_avoided_per_year"]  # first reoffences within 12 months
    return {
        "provider_cost_per_year": per_year(provider),
        "commissioning_cost_per_year": per_year(paid),
        "cost_per_referral": paid / referrals if referrals else math.nan,
        "cost_per_completion": paid / completions if completions else math.nan,
        "police_cost_saved_per_year": police_hours,
        "police_cost_saved_per_crime_method_per_year": per_crime,
        "prison_cost_saved_per_year": prison,
        "net_public_cost_per_year": net,
        "cost_per_reoffence_avoided": per_year(paid) / avoided if avoided > 0 else math.nan,
    }
