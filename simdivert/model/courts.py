"""The courts: what each charge leads to, with the scheme and without it, on the same finds.

A charge is prosecuted or not (discontinued), a prosecution ends in a conviction or not,
and every conviction gets one sentence: a fine, custody or another sentence (community
order, discharge...). Each find has its own four uniforms (prosecution, conviction,
sentence, court), from one stream indexed by find number, so the same find's charge
goes the same way in every scenario and in its status quo (the counterfactual outcome).

Charges are those of possession and user-dealer finds in the period: at the find, or
later (a breached contract, not engaging where that is prosecuted), in the period in
which they happen. Without the scheme the charges are the finds' counterfactual charges.
A criminal record is a conviction or a caution (both go on the Police National
Computer and are disclosed on standard checks); penalty notices and community
resolutions are not counted as criminal records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simdivert.clock import HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.model.police import FindsLog
from simdivert.model.random_streams import RandomStreams
from simdivert.model.rules import CHARGE
from simdivert.scenario.outcome_settings import CourtSettings, money_in
from simdivert.scenario.schema import OUTCOMES

CAUTION = OUTCOMES.index("caution")
WEEKS_PER_YEAR = HOURS_PER_YEAR / HOURS_PER_WEEK
FINE, CUSTODY, OTHER_SENTENCE, NO_SENTENCE = range(4)


@dataclass(frozen=True)
class CourtCases:
    """The charges of one arm (with the scheme, or the status quo) and where they went."""

    prosecuted: np.ndarray  # per charge
    convicted: np.ndarray
    sentence: np.ndarray  # FINE, CUSTODY, OTHER_SENTENCE or NO_SENTENCE
    crown_court: np.ndarray
    cautions: int

    @property
    def charges(self) -> int:
        return int(self.prosecuted.size)


def court_draws(finds: FindsLog, streams: RandomStreams) -> np.ndarray:
    """Four uniforms per find number (rows), the same for a find in every scenario."""
    size = int(finds.find.max()) + 1 if finds.find.size else 0
    return streams.generator("courts.case").random((size, 4))


def cases(
    settings: CourtSettings, draws: np.ndarray, charged_finds: np.ndarray, cautions: int
) -> CourtCases:
    """Where the charges of the given finds go."""
    u = draws[charged_finds]
    prosecuted = u[:, 0] < settings.prosecuted_share_of_charges
    convicted = prosecuted & (u[:, 1] < settings.convicted_share)
    fined = u[:, 2] < settings.fined_share_of_convictions
    custody = ~fined & (
        u[:, 2] < settings.fined_share_of_convictions + settings.custody_share_of_convictions
    )
    sentence = np.select(
        [~convicted, fined, custody], [NO_SENTENCE, FINE, CUSTODY], default=OTHER_SENTENCE
    )
    crown = prosecuted & (u[:, 3] < settings.crown_court_share)
    return CourtCases(prosecuted, convicted, sentence, crown, cautions)


def scheme_and_status_quo(
    settings: CourtSettings,
    finds: FindsLog,
    streams: RandomStreams,
    start: float,
    end: float,
) -> tuple[CourtCases, CourtCases]:
    """The court cases from the finds' charges in [start, end), with the scheme and
    without it (each find's counterfactual outcome)."""
    draws = court_draws(finds, streams)
    at_find = (finds.hours >= start) & (finds.hours < end)
    later = (
        (finds.later_outcome == CHARGE)
        & (finds.later_outcome_hours >= start)
        & (finds.later_outcome_hours < end)
    )
    charged = finds.find[(at_find & (finds.outcome == CHARGE)) | later]
    status_quo_charged = finds.find[at_find & (finds.counterfactual == CHARGE)]
    return (
        cases(settings, draws, charged, int(np.sum(at_find & (finds.outcome == CAUTION)))),
        cases(
            settings,
            draws,
            status_quo_charged,
            int(np.sum(at_find & (finds.counterfactual == CAUTION))),
        ),
    )


def prison_places(settings: CourtSettings, custodial_per_year: float) -> float:
    """Prison places occupied on average: sentences a year x weeks served / weeks a year."""
    served = settings.custody_weeks_mean * settings.custody_served_share
    return custodial_per_year * served / WEEKS_PER_YEAR


def court_cost(settings: CourtSettings, arm: CourtCases, price_year: str) -> float:
    """The courts' cost of an arm's prosecutions (a case in the magistrates' courts or the
    Crown Court), in ``price_year`` prices."""
    crown = int(arm.crown_court.sum())
    magistrates = int(arm.prosecuted.sum()) - crown
    return magistrates * money_in(
        settings.magistrates_cost_per_case, price_year
    ) + crown * money_in(settings.crown_court_cost_per_case, price_year)


def court_kpis(
    settings: CourtSettings,
    scheme: CourtCases,
    status_quo: CourtCases,
    years: float,
    price_year: str,
) -> dict[str, float]:
    """Prosecutions, convictions, sentences, prison places, court costs and criminal
    records a year, and what the scheme changes against the status quo on the same finds."""

    def per_year(count: float) -> float:
        return count / years if years > 0 else float("nan")

    def records(arm: CourtCases) -> float:
        return per_year(float(arm.convicted.sum()) + arm.cautions)

    def places(arm: CourtCases) -> float:
        return prison_places(settings, per_year(float(np.sum(arm.sentence == CUSTODY))))

    return {
        "prosecutions_per_year": per_year(float(scheme.prosecuted.sum())),
        "convictions_per_year": per_year(float(scheme.convicted.sum())),
        "fines_per_year": per_year(float(np.sum(scheme.sentence == FINE))),
        "custodial_sentences_per_year": per_year(float(np.sum(scheme.sentence == CUSTODY))),
        "other_sentences_per_year": per_year(float(np.sum(scheme.sentence == OTHER_SENTENCE))),
        "prison_places": places(scheme),
        "prison_places_avoided": places(status_quo) - places(scheme),
        "court_cost_per_year": per_year(court_cost(settings, scheme, price_year)),
        "court_cost_saved_per_year": per_year(
            court_cost(settings, status_quo, price_year) - court_cost(settings, scheme, price_year)
        ),
        "criminal_records_per_year": records(scheme),
        "criminal_records_avoided_per_year": records(status_quo) - records(scheme),
    }
