"""The trust boundary's checks of the follow-up records (sync/inbound.py admit).

Invalid EpisodeOfCare, QuestionnaireResponse, Task and follow-up Encounter values are
refused with the reason; everything the registry writes passes.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.models import Clinic
from clinic_tui.followup.model import Classification, Control, FollowUpValues, Programme, VisitMode
from clinic_tui.followup.registry import ChronicRegistry
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.sync.inbound import RefusedError, admit

Resource = dict[str, Any]
PATIENT = {"reference": "Patient/p"}


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        ({"resourceType": "EpisodeOfCare", "patient": PATIENT}, "status is missing"),
        ({"resourceType": "EpisodeOfCare", "status": "open", "patient": PATIENT}, "status 'open'"),
        ({"resourceType": "EpisodeOfCare", "status": "active"}, "patient is missing"),
        (
            {"resourceType": "EpisodeOfCare", "status": "active", "patient": PATIENT,
             "period": {"start": "2026-02-30"}},
            "period.start '2026-02-30' is not a valid FHIR dateTime",
        ),
        (
            {"resourceType": "EpisodeOfCare", "status": "finished", "patient": PATIENT,
             "period": {"start": "2026-05-01", "end": "2026-04-01"}},
            "period ends ('2026-04-01') before it starts",
        ),
        (
            {"resourceType": "EpisodeOfCare", "status": "active", "patient": PATIENT,
             "period": "2026"},
            "period is not an object",
        ),
        ({"resourceType": "QuestionnaireResponse"}, "status is missing"),
        ({"resourceType": "QuestionnaireResponse", "status": "done"}, "status 'done'"),
        (
            {"resourceType": "QuestionnaireResponse", "status": "completed",
             "authored": "07/12/2026"},
            "authored '07/12/2026' is not a valid FHIR dateTime",
        ),
        ({"resourceType": "Task", "intent": "plan"}, "status is missing"),
        ({"resourceType": "Task", "status": "due", "intent": "plan"}, "status 'due'"),
        ({"resourceType": "Task", "status": "requested"}, "intent is missing"),
        (
            {"resourceType": "Task", "status": "requested", "intent": "plan",
             "restriction": {"period": {"end": "next week"}}},
            "restriction.period.end 'next week' is not a valid FHIR dateTime",
        ),
        (
            {"resourceType": "Task", "status": "requested", "intent": "plan",
             "restriction": {"period": {"end": "2026-12-07T09:00:00"}}},
            "is not a valid FHIR dateTime",  # a time needs its zone
        ),
        (
            {"resourceType": "Encounter", "status": "finished",
             "episodeOfCare": {"reference": "EpisodeOfCare/e"}},
            "episodeOfCare is not a list of References",
        ),
        (
            {"resourceType": "Encounter", "status": "finished",
             "period": {"start": "2026-13-01T09:00:00+08:00"}},
            "period.start",
        ),
    ],
)  # fmt: skip
def test_invalid_follow_up_values_are_refused_with_the_reason(
    resource: Resource, reason: str
) -> None:
    with pytest.raises(RefusedError) as refused:
        admit({"id": "r1", **resource})
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "moment", ["2026", "2026-12", "2026-12-07", "2026-12-07T09:30:00+08:00", "2026-12-07T01:00:00Z"]
)
def test_partial_and_zoned_date_times_are_valid(moment: str) -> None:
    task = {"resourceType": "Task", "id": "t", "status": "requested", "intent": "plan"}
    task["restriction"] = {"period": {"end": moment}}

    assert admit(task)["restriction"]["period"]["end"] == moment


def test_everything_the_registry_writes_passes_the_boundary(engine: Engine) -> None:
    clinic = Clinic("org-town", "青山镇卫生院")
    with engine.begin() as connection:
        upsert_resources(
            connection,
            [
                {"resourceType": "Organization", "id": clinic.id, "name": clinic.name},
                {"resourceType": "Patient", "id": "p-1", "birthDate": "1950-01-01"},
            ],
        )
    registry = ChronicRegistry(engine, clinic, "pr-1")
    enrolment = registry.enrol(
        "p-1", Programme.DIABETES, "pr-1", date(2026, 1, 2), require_diagnosis=False
    )
    registry.enrol("p-1", Programme.HYPERTENSION, "pr-1", date(2026, 1, 2), require_diagnosis=False)
    when = datetime(2026, 12, 7, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    values = FollowUpValues(150, 95, 80, 70.0, 165.0, 9.1, ("thirst",), reported=True)
    classified = Classification(Control.UNSATISFACTORY, ("glucose",), date(2026, 12, 21))
    for programmes in ([Programme.DIABETES], [Programme.HYPERTENSION, Programme.DIABETES]):
        registry.record_visit("p-1", programmes, VisitMode.PHONE, when, values, classified, None)
    registry.leave(enrolment.id, "moved", date(2026, 12, 8), "搬走")  # type: ignore[arg-type]

    tables = ("episode_of_care", "encounter", "observation", "questionnaire_response", "task")
    with engine.connect() as connection:
        written = [
            json.loads(row[0])
            for table in tables
            for row in connection.execute(text(f"SELECT resource_json FROM {table}"))
        ]
    assert {r["resourceType"] for r in written} == {
        "EpisodeOfCare",
        "Encounter",
        "Observation",
        "QuestionnaireResponse",
        "Task",
    }
    for resource in written:
        assert admit(resource) == resource
