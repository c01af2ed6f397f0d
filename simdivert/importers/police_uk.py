"""A force's demand from its police.uk stop and searches: the scenario values derived.

Each derived value is one function of the classified searches (``DERIVATIONS``), giving
the dotted scenario key, the value and its basis in words (counts and period) for the
file's comment, or nothing when the data cannot support it (the base scheme's value is
kept and the summary says why). A new derived field is one more function in the list.

What is derived, from the rows police.uk publishes:

- ``demand.searches_per_year``: searches in the months present, scaled to twelve;
- ``demand.drug_search_share``: searches whose object is controlled drugs;
- ``demand.find_rate_drug_searches``: drug searches whose outcome is linked to the
  object of search (drugs found), of those where the link is recorded;
- ``demand.hour_weights``, ``demand.weekday_weights``: when searches happen (rows with a
  date only, stamped at midnight, are left out of the hour profile and counted);
- ``demand.month_weights``: searches a day by calendar month, where every calendar
  month has searches;
- ``population.age_band``, ``sex``, ``ethnic_group``: who is found with drugs
  (self-defined ethnicity where stated, else the officer's);
- ``police.counterfactual_mix``: the outcomes of drug finds, adults (written as the
  cannabis row, police.uk giving no substance) and under-18s. This is the mix without
  diversion only where no scheme ran in the period; the comment says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simdivert.importers.police_uk_files import Searches
from simdivert.numbers import count, percent
from simdivert.scenario.schema import AGE_BANDS, ETHNIC_GROUPS, OUTCOMES, SEXES

MIN_ROWS = 30  # fewer usable rows than this: too few to derive a share or a profile
SHARE_DECIMALS = 4
WEIGHT_DECIMALS = 3
DRUGS = "controlled drugs"

AGE_RANGES = {
    "under 10": "under_18",
    "10-17": "under_18",
    "18-24": "age_18_to_24",
    "25-34": "age_25_to_34",
    "over 34": "age_35_plus",
}
GENDERS = {"male": "male", "female": "female"}
OFFICER_ETHNICITY = {g: g for g in ETHNIC_GROUPS}  # White, Black, Asian, Other (Mixed, older)
# Self-defined ethnicity: the 2011 census groups, e.g. "Black/African/Caribbean/Black
# British - Caribbean"; the group is the text before the first "/" or " - ".
SELF_DEFINED_GROUPS = {"white": "white", "black": "black", "asian": "asian", "mixed": "mixed"}
NOT_STATED = ("not stated", "other ethnic group - not stated")
LINKED = {"true": True, "false": False}
# police.uk outcomes (current and older wording) -> the model's outcomes. An arrest is
# taken as a charge [assumption]: police.uk gives the outcome at the search, not later.
OUTCOME_WORDS = {
    "arrest": "charge",
    "suspect arrested": "charge",
    "summons / charged by post": "charge",
    "suspect summonsed to court": "charge",
    "caution (simple or conditional)": "caution",
    "offender cautioned": "caution",
    "khat or cannabis warning": "cannabis_warning",
    "offender given drugs possession warning": "cannabis_warning",
    "penalty notice for disorder": "penalty_notice",
    "offender given penalty notice": "penalty_notice",
    "community resolution": "community_resolution",
    "local resolution": "community_resolution",
    "a no further action disposal": "no_further_action",
    "nothing found - no further action": "no_further_action",
}
NO_OUTCOME = ("article found - detailed outcome unavailable",)


DERIVED, ASSUMPTION = "derived", "assumption"  # how a value written by an import was set


@dataclass(frozen=True)
class Derived:
    """One scenario value set by an import, and its basis in words."""

    key: str  # dotted scenario key
    value: Any  # a number, a list of weights or a table of shares
    basis: str
    kind: str = DERIVED  # from the data, or an [assumption] (e.g. staffing scaled)


@dataclass
class Classified:
    """The searches with each police.uk column mapped to the scenario's categories."""

    searches: Searches
    drug_search: pd.Series  # bool
    drugs_found: pd.Series  # bool, among drug searches with the link recorded
    link_recorded: pd.Series  # bool
    age_band: pd.Series  # scenario category or None
    sex: pd.Series
    ethnic_group: pd.Series
    outcome: pd.Series
    unrecognised: dict[str, Counter[str]] = field(default_factory=dict)
    empty: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # values kept from the base, and why

    @property
    def period(self) -> str:
        months = self.searches.months
        missing = len(self.searches.missing_months)
        gap = f", {missing} missing" if missing else ""
        return f"{months[0]} to {months[-1]}, {len(months)} months{gap}"

    @property
    def finds(self) -> pd.Series:
        return self.drug_search & self.drugs_found


def _map_column(
    frame: pd.DataFrame, column: str, mapping: Callable[[str], object], known_blank: tuple = ()
) -> tuple[pd.Series, Counter[str], int]:
    """Map a text column through ``mapping`` (None: not a category of the scenario);
    return the mapped column, values not recognised with their counts, and empty cells.
    Each distinct value is mapped once (a column has a handful among many rows)."""
    codes, uniques = pd.factorize(frame[column])
    values = [str(u).strip() for u in uniques]
    mapped = np.array([mapping(v.lower()) for v in values], dtype=object)
    rows = np.bincount(codes, minlength=len(values))
    empty = int(sum(n for v, n in zip(values, rows, strict=True) if v == ""))
    unknown: Counter[str] = Counter()
    for value, target, n in zip(values, mapped, rows, strict=True):
        if target is None and value and value.lower() not in known_blank:
            unknown[value] += int(n)
    return pd.Series(mapped[codes], index=frame.index), unknown, empty


def _self_defined(value: str) -> str | None:
    if value in NOT_STATED:
        return None
    head = value.replace(" - ", "/").split("/")[0].strip()
    if head in SELF_DEFINED_GROUPS:
        return SELF_DEFINED_GROUPS[head]
    return "other" if head == "other ethnic group" else None


def classify(searches: Searches) -> Classified:
    """Map every column the derivations use; count what is empty or not recognised."""
    frame = searches.frame
    unrecognised: dict[str, Counter[str]] = {}
    empty: dict[str, int] = {}

    def mapped(column: str, mapping: Callable[[str], object], blank: tuple = ()) -> pd.Series:
        values, unknown, blanks = _map_column(frame, column, mapping, blank)
        if unknown:
            unrecognised[column] = unknown
        empty[column] = blanks
        return values

    obj = frame["Object of search"].str.strip().str.lower()
    empty["Object of search"] = int((obj == "").sum())
    linked = mapped("Outcome linked to object of search", LINKED.get)
    self_defined = mapped("Self-defined ethnicity", _self_defined, NOT_STATED)
    officer = mapped("Officer-defined ethnicity", OFFICER_ETHNICITY.get)
    return Classified(
        searches=searches,
        drug_search=(obj == DRUGS),
        drugs_found=linked.eq(True),
        link_recorded=linked.notna(),
        age_band=mapped("Age range", AGE_RANGES.get),
        sex=mapped("Gender", GENDERS.get),
        ethnic_group=self_defined.fillna(officer),
        outcome=mapped("Outcome", OUTCOME_WORDS.get, NO_OUTCOME),
        unrecognised=unrecognised,
        empty=empty,
    )


def rounded_shares(counts: pd.Series, decimals: int = SHARE_DECIMALS) -> dict[str, float]:
    """Shares that sum to exactly 1 at ``decimals`` places (largest remainders win)."""
    scale = 10**decimals
    exact = counts.to_numpy(dtype=float) / counts.sum() * scale
    units = np.floor(exact).astype(int)
    order = np.argsort(-(exact - units), kind="stable")
    units[order[: scale - units.sum()]] += 1
    return {str(k): int(u) / scale for k, u in zip(counts.index, units, strict=True)}


def _weights(counts: pd.Series) -> list[float]:
    """A profile with mean 1."""
    values = counts.to_numpy(dtype=float)
    return [round(float(v), WEIGHT_DECIMALS) for v in values / values.mean()]


def _too_few(data: Classified, key: str, rows: int, what: str) -> None:
    data.notes.append(f"{key}: only {rows} {what}; the base scheme's value is kept")


def searches_per_year(data: Classified) -> Derived | None:
    months = len(data.searches.months)
    rows = len(data.searches.frame)
    return Derived(
        "demand.searches_per_year",
        round(rows / months * 12),
        f"{count(rows)} searches ({data.period}), scaled to a year (x 12/{months})",
    )


def drug_search_share(data: Classified) -> Derived | None:
    known = len(data.searches.frame) - data.empty["Object of search"]
    drug = int(data.drug_search.sum())
    if known < MIN_ROWS:
        _too_few(data, "demand.drug_search_share", known, "searches with an object recorded")
        return None
    return Derived(
        "demand.drug_search_share",
        round(drug / known, SHARE_DECIMALS),
        f"{count(drug)} of {count(known)} searches for controlled drugs ({data.period})",
    )


def find_rate_drug_searches(data: Classified) -> Derived | None:
    recorded = data.drug_search & data.link_recorded
    found = int((recorded & data.drugs_found).sum())
    if recorded.sum() < MIN_ROWS:
        _too_few(data, "demand.find_rate_drug_searches", int(recorded.sum()), "drug searches")
        return None
    return Derived(
        "demand.find_rate_drug_searches",
        round(found / int(recorded.sum()), SHARE_DECIMALS),
        f"{count(found)} of {count(int(recorded.sum()))} drug searches found drugs (outcome "
        f"linked to the object; link recorded) ({data.period})",
    )


def hour_weights(data: Classified) -> Derived | None:
    hours = data.searches.frame["hour"].dropna().astype(int)
    if len(hours) < MIN_ROWS:
        _too_few(data, "demand.hour_weights", len(hours), "searches with a time")
        return None
    counts = hours.value_counts().reindex(range(24), fill_value=0)
    untimed = data.searches.rows_without_time
    return Derived(
        "demand.hour_weights",
        _weights(counts),
        f"00:00..23:00, mean 1: {count(len(hours))} searches with a time ({data.period}); "
        f"{count(untimed)} with a date only (stamped at midnight) left out",
    )


def weekday_weights(data: Classified) -> Derived | None:
    frame = data.searches.frame
    counts = frame["weekday"].value_counts().reindex(range(7), fill_value=0)
    return Derived(
        "demand.weekday_weights",
        _weights(counts),
        f"Mon..Sun, mean 1: {count(len(frame))} searches ({data.period})",
    )


def month_weights(data: Classified) -> Derived | None:
    """Searches a day by calendar month (January first), mean 1; only from a full year."""
    per_month = data.searches.frame["month"].value_counts().sort_index()
    periods = pd.PeriodIndex(per_month.index, freq="M")
    per_day = pd.Series(per_month.to_numpy() / periods.days_in_month, index=periods.month)
    by_calendar_month = per_day.groupby(level=0).mean().reindex(range(1, 13))
    if by_calendar_month.isna().any():
        absent = by_calendar_month.index[by_calendar_month.isna()]
        data.notes.append(
            f"demand.month_weights: no searches in calendar month(s) "
            f"{', '.join(str(m) for m in absent)}; the base scheme's value is kept"
        )
        return None
    return Derived(
        "demand.month_weights",
        _weights(by_calendar_month),
        f"Jan..Dec, mean 1: searches a day in each calendar month ({data.period})",
    )


def _mix(
    data: Classified,
    key: str,
    column: pd.Series,
    categories: tuple,
    among: pd.Series | None = None,
) -> Derived | None:
    """Shares of drug finds (``among`` them, if given) by the categories of ``column``."""
    finds = data.finds if among is None else data.finds & among
    counts = column[finds].value_counts().reindex(list(categories), fill_value=0)
    total = int(counts.sum())
    if total < MIN_ROWS:
        _too_few(data, key, total, "drug finds with it recorded")
        return None
    left_out = int(finds.sum()) - total
    return Derived(
        key,
        rounded_shares(counts),
        f"{count(total)} drug finds ({data.period}); {count(left_out)} not recorded or "
        "not one of these categories",
    )


def age_band(data: Classified) -> Derived | None:
    return _mix(data, "population.age_band", data.age_band, AGE_BANDS)


def sex(data: Classified) -> Derived | None:
    return _mix(data, "population.sex", data.sex, SEXES)


def ethnic_group(data: Classified) -> Derived | None:
    return _mix(data, "population.ethnic_group", data.ethnic_group, ETHNIC_GROUPS)


def _outcome_mix(data: Classified, key: str, who: pd.Series, label: str) -> Derived | None:
    found = _mix(data, key, data.outcome, OUTCOMES, among=who)
    if found is None:
        return None
    return Derived(
        key,
        found.value,
        f"outcomes of {label}: {found.basis}. The mix without diversion only if no scheme "
        "ran in the period; an arrest is taken as a charge [assumption]",
    )


def adult_outcomes(data: Classified) -> Derived | None:
    adults = data.age_band.notna() & data.age_band.ne("under_18")
    return _outcome_mix(
        data,
        "police.counterfactual_mix.cannabis",
        adults,
        "adults' drug finds (police.uk gives no substance; most are cannabis)",
    )


def under_18_outcomes(data: Classified) -> Derived | None:
    return _outcome_mix(
        data, "police.counterfactual_mix.under_18", data.age_band.eq("under_18"), "under-18s"
    )


RATIO_DECIMALS = 3


def _relative_to_white(rate: pd.Series, enough: pd.Series) -> dict[str, float]:
    """Each group's rate over white people's; 1 (no difference) where too few rows."""
    white = float(rate["white"])
    return {
        str(g): round(float(rate[g]) / white, RATIO_DECIMALS) if enough[g] else 1.0
        for g in ETHNIC_GROUPS
    }


def _thin_groups(enough: pd.Series) -> str:
    thin = [str(g) for g in ETHNIC_GROUPS if not enough[g]]
    return f"; {', '.join(thin)}: 1 [assumption], fewer than {MIN_ROWS} searches" if thin else ""


def find_rate_ratio(data: Classified) -> Derived | None:
    """Drug searches that find drugs, by ethnic group, relative to white people."""
    recorded = data.drug_search & data.link_recorded
    groups = data.ethnic_group[recorded]
    searched = groups.value_counts().reindex(ETHNIC_GROUPS, fill_value=0)
    found = groups[data.drugs_found[recorded]].value_counts().reindex(ETHNIC_GROUPS, fill_value=0)
    if searched["white"] < MIN_ROWS or found["white"] == 0:
        _too_few(
            data, "equity.find_rate_ratio", int(searched["white"]), "drug searches of white people"
        )
        return None
    enough = searched >= MIN_ROWS
    rate = found / searched.where(searched > 0, 1)
    shown = ", ".join(
        f"{g} {percent(float(rate[g]))} of {count(int(searched[g]))}"
        for g in ETHNIC_GROUPS
        if enough[g]
    )
    return Derived(
        "equity.find_rate_ratio",
        _relative_to_white(rate, enough),
        f"drug searches that found drugs (link recorded) by group, over white people's: {shown} "
        f"({data.period}){_thin_groups(enough)}",
    )


def search_rate_ratio(data: Classified, population: dict[str, float]) -> Derived | None:
    """Searches per head by ethnic group, relative to white people, against ``population``
    (police.uk gives none: the base scheme's, unless the user sets the force's)."""
    searched = data.ethnic_group.value_counts().reindex(ETHNIC_GROUPS, fill_value=0)
    if searched["white"] < MIN_ROWS:
        _too_few(
            data, "equity.search_rate_ratio", int(searched["white"]), "searches of white people"
        )
        return None
    enough = (searched >= MIN_ROWS) & (pd.Series(population).reindex(ETHNIC_GROUPS) > 0)
    per_head = searched / pd.Series(population).reindex(ETHNIC_GROUPS).where(enough, 1)
    data.notes.append(
        "equity.population: police.uk gives no population, so the base scheme's is kept and "
        "equity.search_rate_ratio is worked out against it; set your force's Census figures "
        "for a true search rate ratio (the searched mix matches these files either way)"
    )
    return Derived(
        "equity.search_rate_ratio",
        _relative_to_white(per_head, enough),
        f"{count(int(searched.sum()))} searches by group ({data.period}) per head of the base "
        f"scheme's equity.population, over white people's{_thin_groups(enough)}",
    )


DERIVATIONS: tuple[Callable[[Classified], Derived | None], ...] = (
    searches_per_year,
    drug_search_share,
    find_rate_drug_searches,
    weekday_weights,
    hour_weights,
    month_weights,
    age_band,
    sex,
    ethnic_group,
    find_rate_ratio,
    adult_outcomes,
    under_18_outcomes,
)


def derive(data: Classified) -> list[Derived]:
    """Every value the data supports, in the order of ``DERIVATIONS``."""
    return [d for derive_one in DERIVATIONS if (d := derive_one(data)) is not None]


def quality_lines(data: Classified) -> list[str]:
    """The data-quality summary in words: months, rows dropped, categories not recognised."""
    searches = data.searches
    lines = [
        f"files read: {len(searches.files)}"
        + (
            f" ({searches.other_force_files} files of other forces left out)"
            if searches.other_force_files
            else ""
        ),
        f"months present: {len(searches.months)} ({data.period})",
    ]
    if searches.missing_months:
        lines.append(f"months missing: {', '.join(searches.missing_months)}")
    kept = len(searches.frame)
    lines.append(f"rows: {count(searches.rows_read)} read, {count(kept)} used")
    for dropped in searches.dropped:
        lines.append(f"rows dropped, {dropped.reason}: {dropped.rows} (first: {dropped.first})")
    lines.append(
        f"rows with a date only (stamped at midnight), left out of the hour profile: "
        f"{count(searches.rows_without_time)} ({percent(searches.rows_without_time / kept)})"
    )
    for column, blanks in data.empty.items():
        if blanks:
            lines.append(f"empty {column!r}: {count(blanks)} rows")
    for column, unknown in data.unrecognised.items():
        shown = ", ".join(f"{value!r} ({n})" for value, n in unknown.most_common(5))
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        lines.append(f"not recognised in {column!r}: {shown}{more}")
    lines.extend(data.notes)
    return lines
