"""Verification against queueing theory: the assessment stage reduced to M/M/c.

Scenario overrides make the drug-worker pool an M/M/c queue: referrals are a Poisson
process (flat weekday and hour profile; thinning a Poisson process leaves it Poisson),
every referral is reached at once (no contact delay, every call answered), drug workers
are on duty round the clock, assessments are exponential, nobody disengages (engagement
probability 1 and a patience of a billion days) and nobody needs a one-to-one, so drug
workers do only assessments. No group sessions run, so the course stage does no work.

The mean wait for a drug worker and the probability of waiting then have closed forms
(Erlang C, computed here from scipy's Poisson distribution). Each case runs independent
replications; the analytic value must lie in the simulation's 99% t-interval, and the
interval must be narrow enough (relative half-width below a bound) that a wrong model
would be caught.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scipy import stats

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from simdivert.experiments.executors import LocalPoolExecutor
from simdivert.experiments.replications import run_replications
from simdivert.scenario.files import load_scenario
from simdivert.scenario.schema import Scenario
from simdivert.stats import t_interval

from conftest import NO_SESSIONS, ROUND_THE_CLOCK

FLAT_DEMAND = [
    "demand.weekday_weights=[1, 1, 1, 1, 1, 1, 1]",
    "demand.hour_weights=[" + ", ".join(["1"] * 24) + "]",
    "demand.month_weights=[" + ", ".join(["1"] * 12) + "]",
    "demand.annual_growth=0",
    "demand.surges=[]",
]


def mmc_scenario(
    arrivals_per_hour: float,
    assessment_mean_minutes: float,
    drug_workers: int,
    years: float,
) -> Scenario:
    """The default scenario with its assessment stage reduced to an M/M/c queue.

    The scheme is live from t = 0 and the whole run is measured: nobody is referred
    before the launch, so a warm-up would not fill the queue.
    """
    return load_scenario(
        None,
        [
            f"run.years={years}",
            "run.warmup_days=0",
            "policy.launch_after_days=0",
            *FLAT_DEMAND,
            "refind.rate_per_year=0",
            # Every referral comes from "other finds", all eligible, offered and accepted.
            "demand.searches_per_year=0",
            f"demand.other_finds_per_year={arrivals_per_hour * HOURS_PER_YEAR}",
            "demand.personal_possession_share=1",
            "policy.informal_finds_recorded_share=1",
            "policy.adoption.start_share=1",
            "policy.adoption.mature_share=1",
            "policy.adoption.waves=[]",
            "policy.accept_share=1",
            # Reached at the moment of referral.
            "contact.first_attempt_delay_hours=0",
            "contact.answer_probability=1",
            "contact.attempt_minutes=0",
            *ROUND_THE_CLOCK,
            f"provider.drug_workers={drug_workers}",
            "provider.availability=1",
            "provider.admin_share=0",
            "provider.assessment_minutes="
            f'{{ dist = "exponential", mean = {assessment_mean_minutes} }}',
            "engagement.assessment_engage_probability=1",
            "engagement.patience_days=1e9",
            # Drug workers do assessments only.
            "population.possible_dependence="
            "{ cannabis = 0, cocaine = 0, nitrous_oxide = 0, other = 0 }",
            "population.safeguarding_need=0",
            NO_SESSIONS,
        ],
    )


@dataclass(frozen=True)
class ErlangC:
    """M/M/c in steady state: probability of waiting and mean wait in the queue."""

    arrivals_per_hour: float
    services_per_hour: float
    servers: int

    @property
    def utilisation(self) -> float:
        return self.arrivals_per_hour / (self.servers * self.services_per_hour)

    @property
    def wait_probability(self) -> float:
        offered = self.arrivals_per_hour / self.services_per_hour
        erlang_b = stats.poisson.pmf(self.servers, offered) / stats.poisson.cdf(
            self.servers, offered
        )
        return erlang_b / (1 - self.utilisation * (1 - erlang_b))

    @property
    def mean_wait_hours(self) -> float:
        return self.wait_probability / (
            self.servers * self.services_per_hour - self.arrivals_per_hour
        )


def test_erlang_c_matches_textbook_values():
    """The oracle itself: M/M/1 has P(wait) = rho and Wq = rho / (mu - lambda)."""
    one = ErlangC(0.5, 1.0, 1)
    assert one.wait_probability == pytest.approx(0.5)
    assert one.mean_wait_hours == pytest.approx(1.0)
    # M/M/2 with a = 1: C = 1/3, Wq = C / (2 mu - lambda) (Kleinrock, vol. 1, table 3.1).
    two = ErlangC(1.0, 1.0, 2)
    assert two.wait_probability == pytest.approx(1 / 3)
    assert two.mean_wait_hours == pytest.approx(1 / 3)


# (arrivals an hour, mean assessment minutes, drug workers, years, replications,
#  largest relative half-width of the 99% interval of the mean wait)
CASES = [
    pytest.param(0.5, 60.0, 1, 1.0, 10, 0.10, id="M/M/1 load 0.5"),
    pytest.param(2.0, 45.0, 2, 1.0, 10, 0.10, id="M/M/2 load 0.75"),
    pytest.param(2.0, 120.0, 5, 1.0, 12, 0.15, id="M/M/5 load 0.8"),
    pytest.param(2.7, 60.0, 3, 1.0, 16, 0.15, id="M/M/3 load 0.9"),
]


@pytest.mark.parametrize(
    ("arrivals_per_hour", "mean_minutes", "servers", "years", "reps", "max_half_width"), CASES
)
def test_assessment_queue_matches_erlang_c(
    arrivals_per_hour, mean_minutes, servers, years, reps, max_half_width
):
    # From empty: the start-up lasts a few days even at load 0.9, about 1% of a year,
    # well inside the interval's half-width.
    scenario = mmc_scenario(arrivals_per_hour, mean_minutes, servers, years)
    theory = ErlangC(arrivals_per_hour, 60.0 / mean_minutes, servers)
    with LocalPoolExecutor(2) as executor:
        table = run_replications(scenario, reps, seed=7, executor=executor).replications

    wait_days = table["assessment_queue_wait_mean_days"].to_numpy()
    mean, low, high = t_interval(wait_days, confidence=0.99)
    expected_days = theory.mean_wait_hours / HOURS_PER_DAY
    assert low <= expected_days <= high, (expected_days, mean, low, high)
    assert (high - low) / 2 <= max_half_width * expected_days

    waited = table["share_waited_for_assessment"].to_numpy()
    mean, low, high = t_interval(waited, confidence=0.99)
    assert low <= theory.wait_probability <= high, (theory.wait_probability, mean, low, high)

    # Utilisation: the busy share of drug-worker hours is the offered load per worker.
    mean, low, high = t_interval(table["drug_worker_utilisation"].to_numpy(), confidence=0.99)
    assert low <= theory.utilisation <= high

    # Little's law on the analytic side: Lq = lambda Wq.
    mean, low, high = t_interval(table["assessment_queue_mean"].to_numpy(), confidence=0.99)
    assert low <= arrivals_per_hour * theory.mean_wait_hours <= high
