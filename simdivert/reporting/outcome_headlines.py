"""What follows the police outcome, in plain words: reoffending with and without the
scheme (the same people, paired), the courts, the net public cost, and disproportionality
at each stage. Each sentence comes from a run's summary alone, with its 95% intervals;
a KPI missing or undefined (NaN) gives no sentence, or says why.
"""

from __future__ import annotations

from simdivert.kpis import REOFFENDING_ARMS, RRI_GROUPS, RRI_STAGES, latest_policy_year
from simdivert.numbers import count, money, percent
from simdivert.reporting.headlines import Estimate, Headline, interval

STAGE_WORDS = {
    "search": "searched",
    "find": "found with drugs when searched",
    "recorded": "recorded when found",
    "offer": "diverted when recorded",
    "formal": "given a formal outcome when recorded",
}


def _pct(estimate: Estimate) -> str:
    return f"{percent(estimate.mean)} ({interval(estimate, percent)})"


def reoffending_headlines(kpis: dict[str, Estimate], scenario: str | None = None) -> list[Headline]:
    """Reoffending within 12 and 24 months, overall and for completers, against the same
    people without the scheme; or why a follow-up is too short to say."""
    lines = []
    for months in (12, 24):
        name = f"reoffending_{months}_months"
        scheme, status_quo = kpis.get(name), kpis.get(f"{name}_status_quo")
        if scheme is None or status_quo is None:
            if months == 24 and "reoffending_12_months" in kpis:
                lines.append(
                    Headline(
                        name,
                        "Reoffending within 24 months needs two years of follow-up after a "
                        "person's first find since the launch: the run is too short to say.",
                        scenario=scenario,
                    )
                )
            continue
        text = (
            f"Of people first found since the launch and followed for {months} months, "
            f"{_pct(scheme)} have a recorded offence within {months} months, against "
            f"{_pct(status_quo)} of the same people had the scheme not been there"
        )
        completed = kpis.get(f"{name}_completed")
        without = kpis.get(f"{name}_completed_status_quo")
        if completed is not None and without is not None:
            text += (
                f"; of {REOFFENDING_ARMS['completed']}, {_pct(completed)} against {_pct(without)}"
            )
        disengaged = kpis.get(f"{name}_disengaged")
        if disengaged is not None:
            text += f"; of {REOFFENDING_ARMS['disengaged']}, {_pct(disengaged)}"
        lines.append(Headline(name, text + ".", scenario=scenario))
    avoided = kpis.get("reoffences_avoided_per_year")
    if avoided is not None and avoided.mean != 0:
        lines.append(
            Headline(
                "reoffences_avoided_per_year",
                f"About {count(avoided.mean)} people a year are kept from reoffending within "
                f"12 months ({interval(avoided, count)}).",
                scenario=scenario,
            )
        )
    return lines


def court_headlines(kpis: dict[str, Estimate], scenario: str | None = None) -> list[Headline]:
    """Prosecutions, convictions and sentences a year, prison places, criminal records."""
    prosecutions = kpis.get("prosecutions_per_year")
    convictions = kpis.get("convictions_per_year")
    if prosecutions is None or convictions is None:
        return []
    text = (
        f"Charges lead to about {count(prosecutions.mean)} prosecutions a year "
        f"({interval(prosecutions, count)}) and {count(convictions.mean)} convictions "
        f"({interval(convictions, count)})"
    )
    fines, custody = kpis.get("fines_per_year"), kpis.get("custodial_sentences_per_year")
    if fines is not None and custody is not None:
        text += f": {count(fines.mean)} fines and {count(custody.mean)} custodial sentences a year"
    places = kpis.get("prison_places")
    if places is not None:
        text += f", about {count(places.mean)} prison places occupied ({interval(places, count)})"
    lines = [Headline("prosecutions_per_year", text + ".", scenario=scenario)]
    records = kpis.get("criminal_records_per_year")
    avoided = kpis.get("criminal_records_avoided_per_year")
    if records is not None and avoided is not None:
        lines.append(
            Headline(
                "criminal_records_per_year",
                f"About {count(records.mean)} criminal records (convictions and cautions) are "
                f"created a year ({interval(records, count)}); against the status quo on the "
                f"same finds, {count(avoided.mean)} a year are avoided "
                f"({interval(avoided, count)}).",
                scenario=scenario,
            )
        )
    return lines


def net_cost_headlines(kpis: dict[str, Estimate], scenario: str | None = None) -> list[Headline]:
    """What the commissioner pays, per referral, the net public cost and the cost per
    reoffence avoided."""
    paid, net = kpis.get("commissioning_cost_per_year"), kpis.get("net_public_cost_per_year")
    if paid is None or net is None or paid.mean == 0:
        return []
    text = f"The commissioner pays about {money(paid.mean)} a year ({interval(paid, money)})"
    per_referral = kpis.get("cost_per_referral")
    if per_referral is not None:
        text += f", {money(per_referral.mean)} per referral ({interval(per_referral, money)})"
    verb = "costs" if net.mean >= 0 else "saves"
    text += (
        f". Less the police, court and prison costs it saves against the status quo on the "
        f"same finds, the scheme {verb} the public purse about {money(abs(net.mean))} a year "
        f"(net cost {interval(net, money)})"
    )
    per_reoffence = kpis.get("cost_per_reoffence_avoided")
    if per_reoffence is not None:
        text += (
            f"; it pays about {money(per_reoffence.mean)} per reoffence avoided within 12 months "
            f"({interval(per_reoffence, money)})"
        )
    return [Headline("net_public_cost_per_year", text + ".", scenario=scenario)]


def equity_headlines(
    kpis: dict[str, Estimate], names: list[str], scenario: str | None = None
) -> list[Headline]:
    """The relative rate index of Black people at each stage, before the launch and in the
    last policy year (``names``: every KPI name in the summary, to find the years)."""
    group = "black"
    if group not in RRI_GROUPS:
        return []
    parts = []
    for stage in RRI_STAGES:
        latest = kpis.get(latest_policy_year(names, f"rri_{stage}_{group}"))
        if latest is None:
            continue
        before = kpis.get(f"rri_{stage}_{group}_y0")
        part = f"{STAGE_WORDS[stage]} {latest.mean:.2f} times"
        if before is not None and stage != "offer":
            part += f" (before the launch {before.mean:.2f})"
        parts.append(part)
    if not parts:
        return []
    return [
        Headline(
            "rri_formal_black",
            "Against white people, Black people are (relative rate index, last policy "
            f"year): {'; '.join(parts)}.",
            scenario=scenario,
        )
    ]


def downstream_headlines(
    kpis: dict[str, Estimate], names: list[str], scenario: str | None = None
) -> list[Headline]:
    """Every sentence of this module, in order: reoffending, courts, net cost, equity."""
    return [
        *reoffending_headlines(kpis, scenario),
        *court_headlines(kpis, scenario),
        *net_cost_headlines(kpis, scenario),
        *equity_headlines(kpis, names, scenario),
    ]
