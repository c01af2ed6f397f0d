"""The substance list is scenario data: a force adds a substance (here MDMA) with its
share and dependence; its counterfactual mix defaults to the "other" row and its course
stream to general, or to the stream it is mapped to."""

from __future__ import annotations

import numpy as np
import pytest

from simdivert.errors import ScenarioError
from simdivert.model.replication import run_replication
from simdivert.scenario.files import load_scenario
from simdivert.scenario.schema import OUTCOMES

SHORT = ("run.years=0.25", "run.warmup_days=0", "policy.launch_after_days=0")
WITH_MDMA = (
    "population.substance={ cannabis = 0.63, cocaine = 0.08, nitrous_oxide = 0.04, "
    "other = 0.05, mdma = 0.20 }",
    "population.possible_dependence.mdma=0.05",
)


def test_the_built_in_substances_are_the_keys_of_population_substance():
    scenario = load_scenario("west_midlands")
    assert scenario.substances == ("cannabis", "cocaine", "nitrous_oxide", "other")
    streams = [scenario.streams[code] for code in scenario.course_stream_codes()]
    assert streams == ["cannabis", "cocaine", "nitrous_oxide", "general"]


def test_an_added_substance_takes_the_other_row_and_the_general_stream():
    scenario = load_scenario("west_midlands", WITH_MDMA)
    assert scenario.substances[-1] == "mdma"
    matrix = scenario.counterfactual_matrix()
    other = scenario.substances.index("other")
    np.testing.assert_array_equal(matrix[-2], matrix[other])  # mdma, then under-18s
    assert scenario.streams[scenario.course_stream_codes()[-1]] == "general"
    mapped = load_scenario("west_midlands", [*WITH_MDMA, 'course.streams={ mdma = "cocaine" }'])
    assert mapped.streams[mapped.course_stream_codes()[-1]] == "cocaine"


def test_mdma_end_to_end_referred_to_its_stream_with_its_own_mix():
    no_further_action = {o: 1.0 if o == "no_further_action" else 0.0 for o in OUTCOMES}
    own_mix = (
        "police.counterfactual_mix.mdma={ "
        + ", ".join(f"{o} = {v}" for o, v in no_further_action.items())
        + " }"
    )
    scenario = load_scenario(
        "west_midlands", [*SHORT, *WITH_MDMA, own_mix, 'course.streams={ mdma = "cocaine" }']
    )
    events = run_replication(scenario, 4, 0, keep_events=True).events
    mdma = events[events["substance"] == "mdma"]
    assert len(mdma) > 0.1 * len(events)
    adults = mdma[mdma["age_band"] != "under_18"]
    counterfactual = adults["counterfactual_outcome"].astype(str)
    assert set(counterfactual) <= {"no_further_action", "not_recorded"}
    referred = adults[adults["outcome"] == "diverted"]
    assert len(referred) > 5
    assert set(referred["stream"].astype(str)) == {"cocaine"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            (
                "police.counterfactual_mix.mdma="
                + "{ charge = 1, caution = 0, cannabis_warning = 0, "
                "penalty_notice = 0, community_resolution = 0, no_further_action = 0 }",
            ),
            "police.counterfactual_mix.mdma: not a substance of population.substance",
        ),
        (('course.streams={ ketamine = "general" }',), "course.streams.ketamine: not a substance"),
        (('policy.eligible_substances=["mdma"]',), "policy.eligible_substances.mdma"),
        ((WITH_MDMA[0],), "population.possible_dependence.mdma: missing"),
        ((*WITH_MDMA, 'course.streams={ mdma = "ecstasy" }'), "course.streams.mdma"),
        (("population.possible_dependence.cannabis=true",), "valid number (got true)"),
    ],
)
def test_unknown_substances_and_streams_fail_in_one_line(overrides, message):
    with pytest.raises(ScenarioError) as error:
        load_scenario("west_midlands", list(overrides))
    assert message in str(error.value) and "\n" not in str(error.value)
