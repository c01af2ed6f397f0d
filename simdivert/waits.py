"""The one definition of each stage wait: from which step of a referral to which, for whom.

Both the model's KPIs (``model/results.py``, from the pathway log) and the report's
waiting-time figure (``outputs/readers.py``, from ``events.parquet``) take a referral's
step times and ask this module for its waits, so the two always agree. It needs only
numpy: the readers, and so the report, never load the simulation engine.

Two readings of a wait:

- **finished waits** (the KPIs ``assessment_wait_p90_days``...): of the people whose
  wait had ended by the end of the run;
- **waits so far** (the staffing search's ``..._so_far`` and the KPIs
  ``assessment_wait_so_far_p90_days``...): every wait, an unfinished one counted up to
  the end of the run, people still waiting to be reached included (only those who were
  never reached and are no longer chased are left out; ``share_not_contacted`` counts
  them). A search must not accept a plan because the waits it makes too long have not
  ended yet, or because nobody had time to call; a wait so far is never shorter than
  the wait.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simdivert.clock import HOURS_PER_DAY

# Stage -> what its wait runs between (the waiting-time figure's legend).
STAGES: dict[str, str] = {
    "first_contact": "referral to first answered call",
    "assessment": "referral to assessment call",
    "one_to_one": "assessment to one-to-one",
    "course": "assessment to first group session",
}
# A wait shorter than this is rounding, not waiting: the time a call starts and the time
# of first contact reach the log by different floating-point sums.
ROUNDING_HOURS = 1e-6


@dataclass(frozen=True)
class StepTimes:
    """The step times (model hours, NaN: not reached) of a set of referrals."""

    referral: np.ndarray
    first_contact: np.ndarray
    assessment: np.ndarray  # the assessment call, engaged or not
    assessment_end: np.ndarray
    booked: np.ndarray  # the first group session or the one-to-one booked
    assessed: np.ndarray  # bool
    group: np.ndarray  # bool: routed to a group course
    one_to_one: np.ndarray  # bool: routed to a one-to-one
    end: np.ndarray  # when the referral's pathway ended (NaN: still in it)

    def subset(self, rows: np.ndarray) -> StepTimes:
        """The referrals selected by a mask or an index."""
        return StepTimes(*(np.asarray(getattr(self, f))[rows] for f in self.__dataclass_fields__))


# Stage -> the steps its wait runs from and to (``assessment_queue``: first contact to the
# assessment call, the part of the assessment wait spent waiting for a drug worker).
BOUNDS: dict[str, tuple[str, str]] = {
    "first_contact": ("referral", "first_contact"),
    "assessment": ("referral", "assessment"),
    "assessment_queue": ("first_contact", "assessment"),
    "one_to_one": ("assessment_end", "booked"),
    "course": ("assessment_end", "booked"),
}


def finished_rows(steps: StepTimes, horizon: float) -> dict[str, np.ndarray]:
    """Per stage, which referrals' waits had ended by ``horizon`` (a mask)."""
    called = ~np.isnan(steps.assessment)
    return {
        "first_contact": steps.first_contact < horizon,
        "assessment": called,
        "assessment_queue": called,
        "one_to_one": steps.assessed & steps.one_to_one & ~np.isnan(steps.booked),
        "course": steps.assessed & steps.group & (steps.booked < horizon),
    }


def finished_waits(steps: StepTimes, horizon: float) -> dict[str, np.ndarray]:
    """Per stage, the waits in hours that had ended by ``horizon``."""
    waits = {}
    for stage, rows in finished_rows(steps, horizon).items():
        start, end = BOUNDS[stage]
        waits[stage] = getattr(steps, end)[rows] - getattr(steps, start)[rows]
    return waits


def waits_so_far(steps: StepTimes, horizon: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Waits in hours for the assessment call (of everyone but those never reached who
    stopped being chased) and for the first group session (of those assessed for one),
    an unfinished wait counted to ``horizon``; each with the mask of the referrals it is of."""
    contacted = ~(np.isnan(steps.first_contact) & (steps.end < horizon))
    to_call = np.fmin(steps.assessment[contacted], horizon) - steps.referral[contacted]
    group = steps.assessed & steps.group
    booked = np.where(np.isnan(steps.booked), horizon, np.fmin(steps.booked, horizon))
    to_course = booked[group] - steps.assessment_end[group]
    return {"assessment": (to_call, contacted), "course": (to_course, group)}


def in_days(hours: np.ndarray) -> np.ndarray:
    """Waits in days, as every KPI reports them."""
    return hours / HOURS_PER_DAY
