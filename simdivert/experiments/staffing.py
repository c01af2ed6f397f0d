"""Staffing plans: the fewest staff that meet waiting-time targets, period by period.

For each period (a year or a quarter of the policy period, in order) the plan finds
the fewest drug workers (FTE) and, stream by stream, the fewest group sessions a week
that meet every target in a chosen share of replications (``quantile``: 0.9 accepts a
plan when at least 9 in 10 replications have their P90 wait within the target; waits
across replications are often bimodal, a queue that tips or not, so a mean and its
t-interval would say little); facilitators are the fewest that can run that timetable.
Earlier periods keep the staffing already chosen, so a backlog they leave counts
against the next. After a period with a demand surge, the next keeps at least the
staff of the surge unless ``cut_after_surge``. The plan is then checked on fresh
replications (indices it did not search on) by :mod:`simdivert.experiments.staffing_check`.

The search starts from an analytic bracket, then simulates on common random numbers
(every candidate sees the same referrals):
- drug workers: the offered load of calls in the period (from a pilot run with ample
  staff) gives the fewest workers on calls for a stable queue, and Erlang-C the fewest
  for a mean queue wait of four working hours; workers in post = on calls / (availability x
  (1 - admin share)); the simulation then steps up or down one FTE at a time;
- sessions: the places the stream booked in the pilot, divided by places per session,
  then half a session a week (one a fortnight) up or down per stream.
Waits are measured for people referred in the period, followed for eight more weeks;
a wait still running at the end counts as lasting until then, so an overloaded
candidate cannot look good by leaving people out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from simdivert.errors import UserError
from simdivert.experiments.budget import check_budget
from simdivert.experiments.executors import Executor, InProcessExecutor
from simdivert.model.provider import PathwayLog
from simdivert.model.replication import simulate
from simdivert.model.results import step_times
from simdivert.model.roster import on_duty_hours
from simdivert.model.utilisation import call_intervals
from simdivert.scenario.files import scenario_as_toml
from simdivert.scenario.schema import CourseSettings, Scenario
from simdivert.scenario.timetable import concurrent_sessions, timetable_capacity
from simdivert.stats import p90, replication_quantile
from simdivert.waits import waits_so_far

FOLLOW_UP_HOURS = 56 * HOURS_PER_DAY
MAX_EXTRA_WORKERS = 30  # above the Erlang-C guess: beyond this, staff is not the constraint
PERIOD_HOURS = {"year": HOURS_PER_YEAR, "quarter": HOURS_PER_YEAR / 4}
TARGET_KPIS = (
    "assessment_wait_p90_days",
    "assessment_wait_mean_days",
    "course_wait_p90_days",
    "course_wait_mean_days",
)
_TARGET = re.compile(r"^\s*([a-z0-9_]+)\s*(<=)\s*([0-9]*\.?[0-9]+)\s*$")


@dataclass(frozen=True)
class Target:
    """A KPI that must stay at or below a bound."""

    kpi: str
    bound: float

    def __str__(self) -> str:
        return f"{self.kpi}<={self.bound:g}"


def scenario_targets(scenario: Scenario) -> list[Target]:
    """The scenario's own ``[targets]`` the plan can act on: the P90 waits for the
    assessment call and for the first group session (a one-to-one's wait is not
    searched over: the drug workers it needs are set by the assessment target)."""
    return [
        Target("assessment_wait_p90_days", scenario.targets.assessment_wait_p90_days),
        Target("course_wait_p90_days", scenario.targets.course_wait_p90_days),
    ]


def parse_target(text: str) -> Target:
    """Read ``kpi<=value``; only waits the plan can act on are accepted."""
    match = _TARGET.match(text)
    if not match:
        raise UserError(
            f"target {text!r}: expected KPI<=VALUE, e.g. assessment_wait_p90_days<=10",
            option="target",
        )
    kpi, _, value = match.groups()
    if kpi not in TARGET_KPIS:
        raise UserError(
            f"target {text!r}: {kpi} is not a staffing target ({', '.join(TARGET_KPIS)})",
            option="target",
        )
    return Target(kpi, float(value))


@dataclass
class Staffing:
    """One period's staffing level."""

    drug_workers: int
    sessions_per_week: dict[str, float]
    facilitators: int = 0


@dataclass(frozen=True)
class Period:
    label: str
    start_hours: float
    end_hours: float


def plan_periods(scenario: Scenario, period: str) -> list[Period]:
    """The periods of the policy period, from the launch to the end of the horizon."""
    if not scenario.policy.diversion:
        raise UserError(f"{scenario.name} has no diversion: there is no provider to staff")
    start = max(scenario.launch_hours, scenario.warmup_hours)
    step = PERIOD_HOURS[period]
    periods, k = [], 1
    while start < scenario.horizon_hours - 1e-6:
        end = min(start + step, scenario.horizon_hours)
        periods.append(Period(f"{period[0]}{k}", start, end))
        start, k = end, k + 1
    if not periods:
        raise UserError(
            "the scenario has no policy period to staff (no diversion, or launch after the end)"
        )
    return periods


def facilitators_needed(course: CourseSettings, sessions_per_week: dict[str, float]) -> int:
    """The fewest facilitators who can run the timetable (slots and weekly hours)."""
    per_fortnight = sum(round(2 * v) for v in sessions_per_week.values())
    weekly_hours = (
        per_fortnight
        / 2
        * course.facilitators_per_session
        * (course.session_hours + course.prep_hours_per_session)
    )
    facilitators = max(
        course.facilitators_per_session,
        math.ceil(weekly_hours / course.facilitator_hours_per_week - 1e-9),
    )
    while True:
        trial = course.model_copy(update={"facilitators": facilitators})
        if timetable_capacity(trial) >= per_fortnight and concurrent_sessions(trial) > 0:
            return facilitators
        facilitators += 1


def staffed_scenario(
    scenario: Scenario, periods: list[Period], plan: list[Staffing], end_hours: float
) -> Scenario:
    """The scenario with the plan's staffing, run to ``end_hours``; the last staffing holds on."""
    data = scenario.model_dump(mode="json")
    first = plan[0]
    data["provider"]["drug_workers"] = first.drug_workers
    data["course"]["facilitators"] = first.facilitators
    data["course"]["sessions_per_week"] = first.sessions_per_week
    data["staffing"] = [
        {
            "from_day": (period.start_hours - scenario.warmup_hours) / HOURS_PER_DAY,
            "drug_workers": staffing.drug_workers,
            "facilitators": staffing.facilitators,
            "sessions_per_week": staffing.sessions_per_week,
        }
        for period, staffing in zip(periods[1:], plan[1:], strict=False)
    ]
    data["run"]["years"] = (end_hours - scenario.warmup_hours) / HOURS_PER_YEAR
    return Scenario.model_validate(data)


def so_far(kpi: str) -> str:
    """The column that judges a wait target: its wait so far (see :mod:`simdivert.waits`),
    ``assessment_wait_p90_days`` -> ``assessment_wait_so_far_p90_days``."""
    return kpi.replace("_wait_", "_wait_so_far_", 1)


def period_waits(
    log: PathwayLog, streams: tuple[str, ...], start: float, end: float, horizon: float
) -> dict[str, float]:
    """Waits so far (days) of people referred in [start, end), also per course stream
    (``streams``, the scenario's): unfinished ones run to the horizon, so that a plan is
    never accepted on waits that have not ended yet."""
    cohort = (log.referral_hours >= start) & (log.referral_hours < end) & ~log.waiting_at_start
    measured = waits_so_far(step_times(log, cohort), horizon)
    to_call, _ = measured["assessment"]
    to_course, group = measured["course"]
    waits = {
        so_far("assessment_wait_p90_days"): p90(to_call) / 24,
        so_far("assessment_wait_mean_days"): float(np.mean(to_call)) / 24
        if to_call.size
        else math.nan,
        so_far("course_wait_p90_days"): p90(to_course) / 24,
        so_far("course_wait_mean_days"): float(np.mean(to_course)) / 24
        if to_course.size
        else math.nan,
    }
    codes = log.stream[cohort][group]
    for k, stream in enumerate(streams):
        mine = to_course[codes == k]
        waits[so_far(f"course_wait_p90_days_{stream}")] = p90(mine) / 24
        waits[so_far(f"course_wait_mean_days_{stream}")] = (
            float(np.mean(mine)) / 24 if mine.size else math.nan
        )
    return waits


@dataclass(frozen=True)
class PeriodWaitsTask:
    """One replication of a staffing candidate: the waits of one period's referrals, and
    the load the bracket needs (calls, call hours, places booked, hours open)."""

    scenario: Scenario
    seed: int
    replication: int
    start_hours: float
    end_hours: float

    def run(self) -> dict[str, float]:
        start, end = self.start_hours, self.end_hours
        logs = simulate(self.scenario, self.seed, self.replication)
        streams = self.scenario.streams
        waits = period_waits(logs.pathway, streams, start, end, self.scenario.horizon_hours)
        busy_starts, busy_ends = call_intervals(logs.pathway)
        in_period = (busy_starts >= start) & (busy_starts < end)
        waits["call_hours"] = float(np.nansum(busy_ends[in_period] - busy_starts[in_period]))
        waits["calls"] = float(in_period.sum())
        for k, stream in enumerate(streams):
            times = np.asarray(logs.sessions.times[k])
            booked = np.asarray(logs.sessions.booked[k])
            waits[f"places_booked_{stream}"] = float(booked[(times >= start) & (times < end)].sum())
        waits["replication"] = self.replication
        waits["open_hours"] = on_duty_hours(
            logs.duty[0], np.ones_like(logs.duty[1]) * (logs.duty[1] > 0), start, end
        )
        return waits


def surged_periods(scenario: Scenario, periods: list[Period]) -> list[bool]:
    """Whether each period has a demand surge (a multiplier above 1) in it."""
    surges = [
        (
            scenario.warmup_hours + surge.start_day * HOURS_PER_DAY,
            scenario.warmup_hours + (surge.start_day + surge.days) * HOURS_PER_DAY,
        )
        for surge in scenario.demand.surges
        if surge.multiplier > 1
    ]
    return [
        any(start < period.end_hours and end > period.start_hours for start, end in surges)
        for period in periods
    ]


@dataclass
class Evaluator:
    """Runs a staffing candidate's replications on an executor and judges targets.

    Replications ``first_replication`` onwards are used (the fresh-seed check takes
    others); ``on_candidate`` is called after each candidate (a progress bar).
    """

    scenario: Scenario
    periods: list[Period]
    replications: int
    seed: int
    executor: Executor
    quantile: float = 0.9
    first_replication: int = 0
    on_candidate: Callable[[int], None] | None = None
    runs: int = 0
    force: bool = False  # run candidates the pre-run estimate refuses

    def measure(self, plan: list[Staffing], k: int) -> pd.DataFrame:
        """Per replication, the waits of period k's referrals under the plan so far."""
        period = self.periods[k]
        end = period.end_hours + FOLLOW_UP_HOURS
        scenario = staffed_scenario(self.scenario, self.periods[: k + 1], plan[: k + 1], end)
        check_budget([(scenario, self.replications)], self.executor.workers, force=self.force)
        first = self.first_replication
        tasks = [
            PeriodWaitsTask(scenario, self.seed, r, period.start_hours, period.end_hours)
            for r in range(first, first + self.replications)
        ]
        table = pd.DataFrame(self.executor.run_all(tasks))
        self.runs += 1
        if self.on_candidate is not None:
            self.on_candidate(self.runs)
        return table

    def statistic(self, values: pd.Series) -> float:
        """The statistic a target bounds: the ``quantile`` of the replications' values
        (runs with nobody waiting have no value; none at all: -inf, nothing to miss)."""
        present = values.dropna().to_numpy()
        return replication_quantile(present, self.quantile) if present.size else -math.inf

    def meets(self, table: pd.DataFrame, target: Target, stream: str | None = None) -> bool:
        column = so_far(target.kpi if stream is None else f"{target.kpi}_{stream}")
        return self.statistic(table[column]) <= target.bound


def erlang_c_workers(
    arrivals_per_hour: float, service_hours: float, max_mean_wait_hours: float
) -> int:
    """The fewest servers for which the M/M/c mean queue wait is within the limit."""
    from scipy import stats  # a second of import: only the staffing search pays it

    load = arrivals_per_hour * service_hours
    servers = max(1, math.floor(load) + 1)
    while True:
        rho = load / servers
        tail = stats.poisson.cdf(servers - 1, load) / stats.poisson.pmf(servers, load)
        waiting = 1.0 / (1.0 + (1.0 - rho) * tail)
        mean_wait = waiting * service_hours / (servers - load)
        if mean_wait <= max_mean_wait_hours:
            return servers
        servers += 1


def _half_up(value: float) -> float:
    """Round up to a whole number of sessions a fortnight."""
    return math.ceil(max(value, 0.0) * 2 - 1e-9) / 2


class StaffingSearch:
    """The plan, period by period; see the module docstring."""

    def __init__(
        self, evaluator: Evaluator, targets: list[Target], cut_after_surge: bool = False
    ) -> None:
        self.evaluator = evaluator
        scenario = evaluator.scenario
        self.course = scenario.course
        self.streams = scenario.streams
        self.provider = scenario.provider
        self.assessment_targets = [t for t in targets if t.kpi.startswith("assessment")]
        self.course_targets = [t for t in targets if t.kpi.startswith("course")]
        self.surged = surged_periods(scenario, evaluator.periods)
        self.cut_after_surge = cut_after_surge
        self.plan: list[Staffing] = []
        self.rows: list[dict] = []
        self.spread: list[pd.DataFrame] = []

    def _staffing(self, drug_workers: int, sessions: dict[str, float]) -> Staffing:
        return Staffing(drug_workers, dict(sessions), facilitators_needed(self.course, sessions))

    def _measure(self, k: int, drug_workers: int, sessions: dict[str, float]) -> pd.DataFrame:
        return self.evaluator.measure([*self.plan, self._staffing(drug_workers, sessions)], k)

    def _assessment_ok(self, table: pd.DataFrame) -> bool:
        return all(self.evaluator.meets(table, t) for t in self.assessment_targets)

    def _stream_ok(self, table: pd.DataFrame, stream: str) -> bool:
        return all(self.evaluator.meets(table, t, stream) for t in self.course_targets)

    def floor(self, k: int) -> Staffing | None:
        """The staffing period k may not go below: the last one's, right after a surge."""
        if k == 0 or self.cut_after_surge or not self.surged[k - 1]:
            return None
        return self.plan[k - 1]

    def _drug_worker_guess(self, pilot: pd.DataFrame) -> int:
        """Erlang-C bracket from the pilot's offered load of calls while on duty."""
        calls, hours, open_hours = (pilot[c].mean() for c in ("calls", "call_hours", "open_hours"))
        if calls == 0 or open_hours == 0:
            return 0
        on_calls = erlang_c_workers(calls / open_hours, hours / calls, max_mean_wait_hours=4.0)
        present = self.provider.availability * (1.0 - self.provider.admin_share)
        return math.ceil(on_calls / present)

    def _drug_workers(self, k: int, pilot: pd.DataFrame, sessions: dict[str, float]) -> int:
        floor = self.floor(k)
        least = floor.drug_workers if floor is not None else 0
        workers = max(self._drug_worker_guess(pilot), least)
        if self._assessment_ok(self._measure(k, workers, sessions)):
            while workers > least and self._assessment_ok(self._measure(k, workers - 1, sessions)):
                workers -= 1
            return workers
        guess = workers
        for more in range(guess + 1, guess + MAX_EXTRA_WORKERS + 1):
            if self._assessment_ok(self._measure(k, more, sessions)):
                return more
        raise UserError(
            f"{self.evaluator.periods[k].label}: no number of drug workers up to "
            f"{guess + MAX_EXTRA_WORKERS} "
            "meets the assessment targets (are the contact delays alone longer?)"
        )

    def _sessions(self, k: int, pilot: pd.DataFrame, workers: int) -> dict[str, float]:
        """Per stream: up half a session a week while failing, then down while passing."""
        period = self.evaluator.periods[k]
        weeks = (period.end_hours - period.start_hours) / (7 * HOURS_PER_DAY)
        floor = self.floor(k)
        least = floor.sessions_per_week if floor is not None else dict.fromkeys(self.streams, 0.0)
        sessions = {
            s: max(
                _half_up(pilot[f"places_booked_{s}"].mean() / weeks / self.course.places(s)),
                least[s],
            )
            for s in self.streams
        }
        for _ in range(40):
            table = self._measure(k, workers, sessions)
            failing = [s for s in self.streams if not self._stream_ok(table, s)]
            if not failing:
                break
            for stream in failing:
                sessions[stream] += 0.5
        else:
            raise UserError("no staffing within 20 extra sessions a week meets the course targets")
        while True:
            lower = {s: max(v - 0.5, least[s]) for s, v in sessions.items()}
            table = self._measure(k, workers, lower)
            cut = [s for s in self.streams if lower[s] < sessions[s] and self._stream_ok(table, s)]
            if not cut:
                return sessions
            for stream in cut:
                sessions[stream] = lower[stream]

    def plan_period(self, k: int) -> None:
        """Choose period k's staffing and record it with the evidence that one fewer fails."""
        base_sessions = dict(self.course.sessions_per_week)
        ample_sessions = {s: 2 * v + 2 for s, v in base_sessions.items()}
        ample_workers = max(2 * math.ceil(self.provider.drug_workers), 4)
        pilot = self._measure(k, ample_workers, ample_sessions)
        workers = self._drug_workers(k, pilot, ample_sessions)
        sessions = self._sessions(k, pilot, workers)
        chosen = self._staffing(workers, sessions)
        final = self._measure(k, workers, sessions)
        label = self.evaluator.periods[k].label
        fewer_workers = self._measure(k, workers - 1, sessions) if workers > 0 else None
        for target in self.assessment_targets:
            self._row(
                label,
                "drug_workers",
                workers,
                target,
                target.kpi,
                final,
                fewer_workers,
                self._assessment_ok,
            )
        fewer = {s: max(v - 0.5, 0.0) for s, v in sessions.items()}
        fewer_sessions = self._measure(k, workers, fewer)
        for stream in self.streams:
            for target in self.course_targets:
                has_fewer = sessions[stream] > 0
                self._row(
                    label,
                    f"sessions_per_week_{stream}",
                    sessions[stream],
                    target,
                    f"{target.kpi}_{stream}",
                    final,
                    fewer_sessions if has_fewer else None,
                    lambda table, s=stream: self._stream_ok(table, s),
                    step=0.5,
                )
        self._row(label, "facilitators", chosen.facilitators, None, "", final, None, None)
        self.spread.append(spread_rows(final, label, "search"))
        self.plan.append(chosen)

    def _row(self, period, role, headcount, target, column, final, fewer, ok, step=1.0) -> None:
        kpi = so_far(column) if column else ""
        statistic = self.evaluator.statistic
        values = final[kpi].dropna() if kpi else pd.Series(dtype=float)
        k = [p.label for p in self.evaluator.periods].index(period)
        self.rows.append(
            {
                "period": period,
                "role": role,
                "headcount": headcount,
                "kpi": kpi,
                "bound": target.bound if target is not None else math.nan,
                "quantile": self.evaluator.quantile,
                "kpi_quantile": statistic(values) if kpi and values.size else math.nan,
                "kpi_median": float(values.median()) if kpi and values.size else math.nan,
                "share_missed": float((values > target.bound).mean())
                if target is not None and values.size
                else math.nan,
                "surge": self.surged[k],
                "one_fewer_headcount": headcount - step if fewer is not None else math.nan,
                "one_fewer_kpi_quantile": statistic(fewer[kpi].dropna())
                if fewer is not None and kpi
                else math.nan,
                "one_fewer_meets_targets": ok(fewer) if fewer is not None and ok else None,
            }
        )


def spread_rows(table: pd.DataFrame, period: str, check: str) -> pd.DataFrame:
    """Each replication's P90 waits so far of a period (``staffing_spread.csv`` rows)."""
    columns = [c for c in table.columns if "_wait_so_far_p90_days" in c]
    long = table[["replication", *columns]].melt(
        id_vars="replication", var_name="kpi", value_name="value"
    )
    long.insert(0, "period", period)
    long.insert(1, "check", check)
    return long


@dataclass(frozen=True)
class StaffingPlan:
    """What :func:`plan_staffing` found: the plan's table (per period and role, the
    statistic tested and what one fewer gives), the staffing per period, the periods,
    candidates simulated, each replication's waits of the chosen staffing (``spread``:
    the search's and the fresh-seed check's) and the check per period and target."""

    table: pd.DataFrame
    plan: list[Staffing]
    periods: list[Period]
    runs: int
    spread: pd.DataFrame
    check: pd.DataFrame
    costs: pd.DataFrame


def plan_staffing(
    scenario: Scenario,
    targets: list[Target],
    quantile: float = 0.9,
    period: str = "year",
    replications: int = 10,
    seed: int | None = None,
    executor: Executor | None = None,
    *,
    cut_after_surge: bool = False,
    check_replications: int | None = None,
    progress: Callable[[str, int, int, int], None] | None = None,
    force: bool = False,
) -> StaffingPlan:
    """The staffing plan, checked on fresh replications (see :class:`StaffingPlan`).

    Each candidate's replications run on ``executor`` (default: in this process);
    ``progress(stage, candidates so far, stages done, stages)`` is called as the search
    goes (the stages: each period, then the fresh-seed check). A candidate too big for
    this machine is refused before it runs, unless ``force``.
    """
    from simdivert.experiments.staffing_check import check_plan, plan_costs

    if not targets:
        raise UserError("give at least one --target")
    if not 0 < quantile < 1:
        raise UserError(f"quantile {quantile:g}: must be between 0 and 1", option="quantile")
    periods = plan_periods(scenario, period)
    run_seed = scenario.run.seed if seed is None else seed
    executor = executor if executor is not None else InProcessExecutor()
    stages = len(periods) + 1
    done = [0]

    def report(runs: int) -> None:
        if progress is not None:
            label = periods[done[0]].label if done[0] < len(periods) else "fresh-seed check"
            progress(label, runs, done[0], stages)

    evaluator = Evaluator(
        scenario,
        periods,
        replications,
        run_seed,
        executor,
        quantile,
        on_candidate=report,
        force=force,
    )
    search = StaffingSearch(evaluator, targets, cut_after_surge)
    for k in range(len(periods)):
        report(evaluator.runs)
        search.plan_period(k)
        done[0] = k + 1
    report(evaluator.runs)
    check, fresh = check_plan(
        scenario,
        periods,
        search.plan,
        targets,
        quantile,
        check_replications or replications,
        run_seed,
        first_replication=replications,
        executor=executor,
    )
    done[0] = stages
    report(evaluator.runs)
    return StaffingPlan(
        pd.DataFrame(search.rows),
        search.plan,
        periods,
        evaluator.runs,
        pd.concat([*search.spread, fresh], ignore_index=True),
        check,
        plan_costs(scenario, periods, search.plan, search.surged),
    )


def plan_as_toml(scenario: Scenario, plan: list[Staffing], periods: list[Period]) -> str:
    """The planned scenario with the plan's staffing, whole (overrides included), as TOML."""
    staffed = staffed_scenario(scenario, periods, plan, scenario.horizon_hours)
    header = (
        f"# Staffing plan for {scenario.name} made by `simdivert staff`: the scenario as\n"
        "# planned, with the plan's staffing. Run it with `simdivert run` on this file.\n\n"
    )
    return scenario_as_toml(
        staffed.model_copy(update={"name": f"{scenario.name}-staffing-plan"}), header
    )
