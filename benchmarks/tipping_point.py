"""The tipping point of docs/STAFFING.md: group attendance falling, with a fixed timetable
and with reactive sessions or overbooking; prints a Markdown table row per case.

    python benchmarks/tipping_point.py REPS ATTENDANCES RULES [--set KEY=VALUE ...]
    python benchmarks/tipping_point.py 10 0.7,0.65,0.6 no,wait,list
    python benchmarks/tipping_point.py 10 0.7,0.65,0.6 no,wait,over,over+wait

West Midlands over four years with six cannabis sessions a week, seed 7.
"""

from __future__ import annotations

import sys

import numpy as np

import simdivert as sd

BASE = ["run.years=4", "course.sessions_per_week.cannabis=6"]
WAIT = (
    'course.reactive={ streams = ["cannabis"], add_above_wait_days = 10, '
    'remove_below_wait_days = 5, lead_time_days = 14, session_days = ["Tue", "Thu"], '
    "session_start_hour = 18 }"
)
LIST = WAIT.replace(
    "add_above_wait_days = 10, remove_below_wait_days = 5",
    "add_above_waiting = 150, remove_below_waiting = 75",
)
OVER = "course.overbooking={ to_expected_attendance = true }"
RULES = {"no": [], "wait": [WAIT], "list": [LIST], "over": [OVER], "over+wait": [OVER, WAIT]}
HEADER = (
    "| attend | rule | median P90 | P90 of reps | reps over 21 | added/yr | facilitator h/yr "
    "| disengaged at course | overbooked/yr | turned away/yr |"
)


def row(attend: float, rule: str, reps: int, extra: list[str]) -> str:
    overrides = [*BASE, f"engagement.group_attend_probability={attend}", *RULES[rule], *extra]
    result = sd.run(sd.load_scenario("west_midlands", set=overrides), replications=reps, seed=7)
    r = result.replications
    p90 = r["course_wait_so_far_p90_days"]
    return (
        f"| {attend} | {rule} | {np.median(p90):.1f} | "
        f"{np.quantile(p90, 0.9, method='inverted_cdf'):.1f} | {(p90 > 21).mean():.0%} | "
        f"{r['reactive_sessions_added_per_year'].mean():.0f} | "
        f"{r['facilitator_hours_used_per_year'].mean():,.0f} | "
        f"{r['share_disengaged_course'].mean():.1%} | "
        f"{r['overbooked_sessions_per_year'].mean():.0f} | {r['turned_away_per_year'].mean():.0f} |"
    )


def main(argv: list[str]) -> None:
    reps, attends, rules = int(argv[0]), argv[1].split(","), argv[2].split(",")
    extra = [value for flag, value in zip(argv[3::2], argv[4::2], strict=True) if flag == "--set"]
    print(HEADER)
    print("|---|---|---|---|---|---|---|---|---|---|")
    for attend in attends:
        for rule in rules:
            print(row(float(attend), rule, reps, extra), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
