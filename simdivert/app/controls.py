"""The page's controls: the scenario (built-in or uploaded), its levers, replications, seed
and what to compare with. They produce a :class:`~simdivert.app.runs.RunRequest` or a
one-line error, the same error ``simdivert run`` prints.

Widgets keep their values in Streamlit's session state under ``lever:<dotted key>``
(the keys the tests use); choosing another scenario resets them to its values.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import streamlit as st

import simdivert as sd
from simdivert.app.levers import PAGE_KEYS, Lever, changed, main_keys, main_levers, section
from simdivert.app.levers import scenario_levers as all_levers
from simdivert.app.runs import RunRequest, SessionFolder
from simdivert.errors import OVERRIDE_SOURCE, ScenarioError
from simdivert.scenario.files import DEFAULT_SCENARIO

PAGE_REPLICATIONS = 10  # a run from the page: quick, with a confidence interval
MAX_REPLICATIONS = 200
BUILTIN, UPLOAD = "Built-in", "Upload a TOML file"
NOTHING, AS_LOADED = "nothing", "the scenario as loaded (before changes)"
STATE_PREFIXES = ("lever:", "area:", "surge:")
SURGE_FIELDS = (
    ("start_day", "starts (day of the measured period)", 0.0),
    ("days", "lasts (days)", 90.0),
    ("multiplier", "demand multiplier (1.3 is +30%)", 1.3),
)


def in_page_words(error: Exception) -> str:
    """An error as one line: a file named by its name alone (an upload as uploaded, a
    built-in without the package's folder), the page's own changes named ``levers``
    (the command line says ``--set``)."""
    if not isinstance(error, ScenarioError):
        return str(error)
    source = "levers" if error.source == OVERRIDE_SOURCE else Path(error.source).name
    return f"{source}: {error.key}: {error.problem}" if error.key else f"{source}: {error.problem}"


def _reset_levers(token: str) -> None:
    """A new scenario: forget the widgets' values, so they start from its own. The same
    scenario: keep them, also for widgets not drawn this time (Streamlit forgets the
    value of a widget not drawn, unless it is set again)."""
    if st.session_state.get("loaded") == token:
        for key in [k for k in st.session_state if str(k).startswith(STATE_PREFIXES)]:
            st.session_state[key] = st.session_state[key]
        return
    for key in [k for k in st.session_state if str(k).startswith(STATE_PREFIXES)]:
        del st.session_state[key]
    st.session_state["loaded"] = token


def choose_scenario(folder: SessionFolder) -> tuple[str | Path, sd.Scenario] | None:
    """The scenario as loaded (a built-in or an uploaded file), or None with its error."""
    bar = st.sidebar
    source = bar.radio("Scenario", [BUILTIN, UPLOAD], key="source", horizontal=True)
    where: str | Path
    if source == BUILTIN:
        names = sd.builtin_scenarios()
        where = bar.selectbox(
            "Built-in scenario",
            names,
            index=names.index(DEFAULT_SCENARIO),
            key="builtin",
            help="The schemes of docs/MODEL.md, on the West Midlands force's demand.",
        )
        token = f"builtin:{where}"
    else:
        upload = bar.file_uploader(
            "Scenario file (TOML)",
            type=["toml"],
            key="upload",
            help="A scenario file as `simdivert run` takes it; `extends` may name a built-in.",
        )
        if upload is None:
            st.info("Choose a scenario file (TOML) in the sidebar, or a built-in scenario.")
            return None
        where = folder.uploads() / Path(upload.name).name
        where.write_bytes(upload.getvalue())
        token = f"upload:{upload.file_id}"
    try:
        scenario = sd.load_scenario(where)
    except sd.UserError as exc:
        st.error(in_page_words(exc), icon=":material/error:")
        return None
    _reset_levers(token)
    if scenario.description:
        bar.caption(scenario.description)
    return where, scenario


def _step(lever: Lever) -> float:
    if lever.step is not None:
        return lever.step
    magnitude = abs(float(lever.value))
    return 1.0 if magnitude >= 10 else 0.5 if magnitude >= 1 else 0.01


def lever_widget(lever: Lever, place: Any) -> Any:
    """The widget of one lever in ``place`` (the sidebar or an expander); its value."""
    key = f"lever:{lever.key}"
    if key not in st.session_state:
        st.session_state[key] = lever.value
    options: dict[str, Any] = {"key": key, "help": lever.help}
    if lever.kind == "bool":
        return place.checkbox(lever.label, **options)
    if lever.kind == "choice":
        return place.selectbox(lever.label, list(lever.choices), **options)
    if lever.kind == "date":
        return place.date_input(lever.label, **options)
    if lever.kind == "text":
        return place.text_input(lever.label, **options)
    if lever.kind == "int":
        low = None if lever.low is None else math.ceil(lever.low)
        high = None if lever.high is None else math.floor(lever.high)
        return place.number_input(lever.label, min_value=low, max_value=high, step=1, **options)
    return place.number_input(
        lever.label,
        min_value=lever.low,
        max_value=lever.high,
        step=_step(lever),
        format="%g",
        **options,
    )


def _area_levers(scenario: sd.Scenario, changes: dict[str, Any]) -> None:
    """Rollout by area: each area's go-live delay after the launch, with its date."""
    bar = st.sidebar
    launch_days = changes.get("policy.launch_after_days", scenario.policy.launch_after_days)
    start = scenario.run.start_date + timedelta(days=scenario.run.warmup_days)
    launch = start + timedelta(days=float(launch_days))
    bar.caption(f"Measuring starts {start:%d %b %Y}; the scheme launches {launch:%d %b %Y}.")
    areas = []
    for index, area in enumerate(scenario.areas):
        key = f"area:{index}"
        if key not in st.session_state:
            st.session_state[key] = float(area.go_live_after_days)
        days = bar.number_input(
            f"{area.name}: goes live (days after the launch)",
            min_value=0.0,
            step=30.0,
            format="%g",
            key=key,
            help=f"{area.name} has {area.demand_share:.0%} of the force's demand. 0: at launch.",
        )
        bar.caption(f"{area.name} goes live {launch + timedelta(days=days):%d %b %Y}")
        areas.append({**area.model_dump(), "go_live_after_days": days})
    if any(
        not math.isclose(a["go_live_after_days"], b.go_live_after_days)
        for a, b in zip(areas, scenario.areas, strict=True)
    ):
        changes["areas"] = areas


def _surge_levers(scenario: sd.Scenario, changes: dict[str, Any]) -> None:
    """Demand surges: the scenario's own, and one more if asked for."""
    bar = st.sidebar
    surges = [s.model_dump() for s in scenario.demand.surges]
    if bar.checkbox("Add a demand surge", key="surge:add", help="Extra demand for a while."):
        surges.append({name: default for name, _, default in SURGE_FIELDS})
    edited = []
    for index, surge in enumerate(surges):
        row = {}
        for name, words, _ in SURGE_FIELDS:
            key = f"surge:{index}:{name}"
            if key not in st.session_state:
                st.session_state[key] = float(surge[name])
            row[name] = bar.number_input(
                f"Surge {index + 1}: {words}", min_value=0.0, format="%g", key=key
            )
        edited.append(row)
    if edited != surges or len(surges) != len(scenario.demand.surges):
        changes["demand.surges"] = edited


def lever_changes(scenario: sd.Scenario) -> dict[str, Any]:
    """Show the levers; the values changed from the scenario's, by dotted key."""
    bar = st.sidebar
    levers = {lever.key: lever for lever in all_levers(scenario)}
    changes: dict[str, Any] = {}

    def keep(lever: Lever, value: Any) -> None:
        if changed(lever, value):
            changes[lever.key] = value

    for group, words in main_levers(scenario).items():
        present = [levers[key] for key in words if key in levers]
        if not present and group not in ("Rollout", "Demand"):
            continue
        bar.subheader(group)
        for lever in present:
            keep(lever, lever_widget(lever, bar))
        if group == "Rollout":
            _area_levers(scenario, changes)
        if group == "Demand":
            _surge_levers(scenario, changes)
    bar.subheader("Every other parameter")
    shown = bar.toggle(
        "Show them",
        key="show_others",
        help="Every other value of the scenario, by its dotted key as in the scenario file; "
        "lists are changed in a file. Values changed here are kept while hidden.",
    )
    others: dict[str, list[Lever]] = {}
    main = main_keys(scenario)
    for lever in levers.values():
        if lever.key not in main and lever.key not in PAGE_KEYS:
            others.setdefault(section(lever.key), []).append(lever)
    for name, group_levers in others.items():
        if not shown:  # not drawn (a page of widgets fewer), their values as last set
            for lever in group_levers:
                keep(lever, st.session_state.get(f"lever:{lever.key}", lever.value))
            continue
        with bar.expander(name):
            for lever in group_levers:
                keep(lever, lever_widget(lever, st))
    return changes


def run_options(scenario: sd.Scenario) -> dict[str, Any]:
    """Replications and seed (as ``run.replications`` and ``run.seed``, so the scenario
    file downloaded runs the same)."""
    bar = st.sidebar
    bar.subheader("Replications and seed")
    if "lever:run.replications" not in st.session_state:
        st.session_state["lever:run.replications"] = min(
            PAGE_REPLICATIONS, scenario.run.replications
        )
        st.session_state["lever:run.seed"] = scenario.run.seed
    reps = bar.number_input(
        "Replications",
        min_value=1,
        max_value=MAX_REPLICATIONS,
        step=1,
        key="lever:run.replications",
        help="Independent runs of the scenario; more give narrower confidence intervals.",
    )
    seed = bar.number_input(
        "Seed",
        min_value=0,
        step=1,
        key="lever:run.seed",
        help="The same seed gives the same numbers, on any number of cores.",
    )
    return {"run.replications": int(reps), "run.seed": int(seed)}


TIMING_KEYS = (
    "run.years",
    "run.warmup_days",
    "run.start_date",
    "policy.launch_after_days",
)


def _timing(scenario: sd.Scenario) -> dict[str, Any]:
    """The edited scenario's window, given to the scenario it is compared with."""
    return {
        "run.years": scenario.run.years,
        "run.warmup_days": scenario.run.warmup_days,
        "run.start_date": scenario.run.start_date,
        "policy.launch_after_days": scenario.policy.launch_after_days,
    }


def compare_choice() -> str:
    """The control choosing what to compare with."""
    choices = [NOTHING, AS_LOADED, *sd.builtin_scenarios()]
    st.sidebar.subheader("Comparison")
    return str(
        st.sidebar.selectbox(
            "Compare with (paired, on the same random numbers)",
            choices,
            key="compare",
            help="The other scenario runs with the same seed and replications, over the same "
            "window as yours, and the page shows the paired differences.",
        )
    )


def comparison_base(chosen: str, where: str | Path, edited: sd.Scenario) -> sd.Scenario | None:
    """The scenario chosen to compare with, over the edited scenario's window (so the
    years compared are the same); None for nothing."""
    if chosen == NOTHING:
        return None
    return sd.load_scenario(where if chosen == AS_LOADED else chosen, set=_timing(edited))


def run_request(folder: SessionFolder) -> tuple[RunRequest | None, Any]:
    """Every control; the run they ask for (None, with the error shown) and the place in
    the sidebar, under the scenario, for the Run button."""
    chosen = choose_scenario(folder)
    slot = st.sidebar.container()
    if chosen is None:
        return None, slot
    where, loaded = chosen
    options = run_options(loaded)
    chosen_base = compare_choice()
    changes = {**lever_changes(loaded), **options}
    try:
        edited = sd.load_scenario(where, set=changes)
        base = comparison_base(chosen_base, where, edited)
    except sd.UserError as exc:
        st.error(in_page_words(exc), icon=":material/error:")
        return None, slot
    return RunRequest(edited, edited.run.replications, edited.run.seed, base), slot
