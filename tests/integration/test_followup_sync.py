"""Chronic-disease follow-up through the real FHIR server: enrol, a home visit recorded
offline, sync, and a second workstation of the same clinic sees all of it; leaving syncs too.

Each test builds its own clinic on the shared test server (ids are unique), works with the
registry on one workstation's cache, runs real sync rounds, and reads the result from the
server and from a second workstation's cache.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from clinic_tui.domain.models import Clinic
from clinic_tui.followup import fhir_shapes as shapes
from clinic_tui.followup.model import (
    Classification,
    Control,
    FollowUpValues,
    LeaveReason,
    Lifestyle,
    Programme,
    VisitMode,
)
from clinic_tui.followup.registry import ChronicRegistry
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.engine import SyncEngine
from tests.integration.workstation import outbox_length, sync_completely, unique_id, wall_clock_now

Resource = dict[str, Any]
HTN, DM = Programme.HYPERTENSION, Programme.DIABETES


def _workstation(tmp_path: Path, name: str) -> Engine:
    return open_cache(tmp_path / name / "clinic.sqlite3")


def _condition(ident: str, patient_id: str, code: str) -> Resource:
    return {
        "resourceType": "Condition",
        "id": ident,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
    }


def _clinic(client: FhirClient, name: str) -> tuple[Clinic, str]:
    """A clinic on the server with one patient diagnosed with I10 and E11.9."""
    clinic, patient_id = Clinic(unique_id("org"), name), unique_id("pat")
    client.put({"resourceType": "Organization", "id": clinic.id, "name": clinic.name})
    client.put(
        {
            "resourceType": "Patient",
            "id": patient_id,
            "name": [{"family": "王", "given": ["芳"]}],
            "gender": "female",
            "birthDate": "1956-02-03",
            "managingOrganization": {"reference": f"Organization/{clinic.id}"},
            "address": [{"use": "home", "line": ["东山村三组12号"]}],
        }
    )
    client.put(_condition(unique_id("cond"), patient_id, "I10"))
    client.put(_condition(unique_id("cond"), patient_id, "E11.9"))
    return clinic, patient_id


@pytest.fixture
def fhir_client(conformant_client: FhirClient) -> FhirClient:
    """Every test against the server as it is and as another conformant server answers
    (opaque versionIds, transactions entry by entry: tests/netlab/server_quirks.py)."""
    return conformant_client


@pytest.fixture
def clinic_on_server(fhir_client: FhirClient) -> tuple[Clinic, str]:
    """A clinic, its doctor, and its patient with hypertension and type 2 diabetes."""
    clinic, patient_id = _clinic(fhir_client, "青山镇卫生院")
    fhir_client.put(
        {"resourceType": "Practitioner", "id": "pr-fu-doctor", "name": [{"text": "李医生"}]}
    )
    return clinic, patient_id


VALUES = FollowUpValues(
    systolic=168,
    diastolic=102,
    heart_rate=84,
    weight_kg=66.0,
    height_cm=158.0,
    fasting_glucose=9.6,
    symptoms=("dizziness",),
    lifestyle=Lifestyle(cigarettes_per_day=0, salt="heavy", mood="fair"),
    medication_adherence="intermittent",
)


def test_enrolment_and_an_offline_home_visit_reach_a_second_workstation(
    fhir_client: FhirClient, clinic_on_server: tuple[Clinic, str], tmp_path: Path
) -> None:
    clinic, patient_id = clinic_on_server
    here = _workstation(tmp_path, "here")
    sync_completely(here, fhir_client, clinic)
    registry = ChronicRegistry(here, clinic, "pr-fu-doctor")
    now = wall_clock_now()
    assert registry.enrollable(patient_id, today=now.date()) == [HTN, DM]

    # Offline: enrol in both programmes and record a home visit covering both.
    htn = registry.enrol(patient_id, HTN, "pr-fu-doctor", now.date() - timedelta(days=30))
    dm = registry.enrol(patient_id, DM, "pr-fu-doctor", now.date() - timedelta(days=30))
    due = now.date() + timedelta(days=14)
    classified = Classification(Control.UNSATISFACTORY, ("BP 168/102",), due, refer=False)
    visit = registry.record_visit(
        patient_id, [HTN, DM], VisitMode.HOME, now, VALUES, classified, None, "复查"
    )
    assert outbox_length(here) == 12  # 2 enrolments, encounter, 6 observations, answers, 2 tasks

    sync_completely(here, fhir_client, clinic)

    assert outbox_length(here) == 0
    episode = fhir_client.read("EpisodeOfCare", htn.id)
    assert (episode["status"], episode["type"][0]["coding"][0]["code"]) == (
        "active",
        "hypertension",
    )
    encounter = fhir_client.read("Encounter", visit.id)
    assert encounter["class"]["code"] == "HH"
    assert [r["reference"] for r in encounter["episodeOfCare"]] == [
        f"EpisodeOfCare/{htn.id}",
        f"EpisodeOfCare/{dm.id}",
    ]

    # A second workstation of the same clinic downloads the enrolments, the visit, its
    # observations and answers, and the next dates.
    there = _workstation(tmp_path, "there")
    sync_completely(there, fhir_client, clinic)
    elsewhere = ChronicRegistry(there, clinic, "pr-other")
    assert [(e.id, e.programme, e.active) for e in elsewhere.enrolments(patient_id)] == sorted(
        [(htn.id, HTN, True), (dm.id, DM, True)]
    )
    [seen] = elsewhere.visits(patient_id)
    assert seen.id == visit.id
    assert seen.values == VALUES
    assert (seen.mode, seen.control, seen.next_due, seen.note) == (
        VisitMode.HOME,
        Control.UNSATISFACTORY,
        due,
        "复查",
    )
    with there.connect() as connection:
        codes = {
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT code FROM observation WHERE patient_id = ?", (patient_id,)
            )
        }
    assert codes == {"85354-9", "8867-4", "29463-7", "8302-2", "39156-5", shapes.FASTING_GLUCOSE[0]}
    listed = elsewhere.due_list(now.date(), horizon_days=14)
    assert [(i.enrolment_id, i.due, i.visits_this_year, i.last_control) for i in listed] == sorted(
        [(htn.id, due, 1, Control.UNSATISFACTORY), (dm.id, due, 1, Control.UNSATISFACTORY)]
    )
    assert elsewhere.enrollable(patient_id, today=now.date()) == []


def test_leaving_the_programme_syncs_and_clears_the_list_elsewhere(
    fhir_client: FhirClient, clinic_on_server: tuple[Clinic, str], tmp_path: Path
) -> None:
    clinic, patient_id = clinic_on_server
    here, there = _workstation(tmp_path, "here"), _workstation(tmp_path, "there")
    sync_completely(here, fhir_client, clinic)
    registry = ChronicRegistry(here, clinic, "pr-fu-doctor")
    now = wall_clock_now()
    enrolment = registry.enrol(patient_id, HTN, None, now.date() - timedelta(days=10))
    classified = Classification(Control.SATISFACTORY, (), now.date() + timedelta(days=3))
    registry.record_visit(patient_id, [HTN], VisitMode.PHONE, now, VALUES, classified, None)
    sync_completely(here, fhir_client, clinic)
    sync_completely(there, fhir_client, clinic)
    assert [i.enrolment_id for i in ChronicRegistry(there, clinic).due_list(now.date())] == [
        enrolment.id
    ]

    registry.leave(enrolment.id, LeaveReason.MOVED, now.date(), "迁往县城")
    sync_completely(here, fhir_client, clinic)
    sync_completely(there, fhir_client, clinic)

    episode = fhir_client.read("EpisodeOfCare", enrolment.id)
    assert (episode["status"], episode["period"]["end"]) == ("finished", now.date().isoformat())
    elsewhere = ChronicRegistry(there, clinic)
    [left] = elsewhere.enrolments(patient_id)
    assert (left.active, left.leave_reason, left.end) == (False, LeaveReason.MOVED, now.date())
    assert elsewhere.due_list(now.date()) == []
    assert elsewhere.enrollable(patient_id, today=now.date()) == [HTN, DM]


def test_each_clinic_caches_only_its_own_patients_follow_up_records(
    fhir_client: FhirClient, clinic_on_server: tuple[Clinic, str], tmp_path: Path
) -> None:
    """The chained `patient.organization` search (sync/scope.py) on the two new types.

    FHIR R4 defines `patient` for both (EpisodeOfCare.patient; QuestionnaireResponse.subject
    where it is a Patient), so the chain is valid on both. A server may still ignore it, and
    then must say so (an OperationOutcome in the searchset): sekmet-fhir 0.1.1 honours it on
    EpisodeOfCare but ignores every QuestionnaireResponse parameter, and the download keeps
    the other clinic's answers out all the same (sync/unscoped.py).
    """
    clinic, patient_id = clinic_on_server
    other, other_patient = _clinic(fhir_client, "白沙镇卫生院")
    now = wall_clock_now()
    made: dict[str, tuple[str, str]] = {}
    caches: dict[str, Engine] = {}
    for who, place, ident in ((clinic, patient_id, "here"), (other, other_patient, "there")):
        cache = caches[ident] = _workstation(tmp_path, ident)
        sync_completely(cache, fhir_client, who)
        registry = ChronicRegistry(cache, who)
        enrolment = registry.enrol(place, HTN, None, now.date())
        classified = Classification(Control.SATISFACTORY, (), now.date() + timedelta(days=90))
        registry.record_visit(place, [HTN], VisitMode.CLINIC, now, VALUES, classified, None)
        sync_completely(cache, fhir_client, who)
        with cache.connect() as connection:
            answers = connection.exec_driver_sql(
                "SELECT id FROM questionnaire_response WHERE patient_id = ?", (place,)
            ).scalar_one()
        made[ident] = (enrolment.id, str(answers))

    scope = {"patient.organization": f"Organization/{clinic.id}"}
    episodes = fhir_client.bundle_page("EpisodeOfCare", scope)
    found = {e["resource"]["id"] for e in episodes.entries if _match(e)}
    assert made["here"][0] in found
    assert made["there"][0] not in found
    answers = fhir_client.bundle_page("QuestionnaireResponse", scope)
    found = {e["resource"]["id"] for e in answers.entries if _match(e)}
    assert made["here"][1] in found
    said = [
        issue
        for e in answers.entries
        if (e.get("search") or {}).get("mode") == "outcome"
        for issue in e["resource"].get("issue", [])
    ]
    # Either the server honours the chain, or it says it did not (never silently).
    assert made["there"][1] not in found or any(i["code"] == "not-supported" for i in said)

    for _ in range(2):  # a round after the other clinic's answers exist, and one more
        for who, ident in ((clinic, "here"), (other, "there")):
            sync_completely(caches[ident], fhir_client, who)
    for ident, others in (("here", "there"), ("there", "here")):
        with caches[ident].connect() as connection:
            held = {
                str(row[0])
                for row in connection.exec_driver_sql(
                    "SELECT id FROM episode_of_care UNION ALL SELECT id FROM questionnaire_response"
                )
            }
        assert set(made[ident]) <= held
        assert not set(made[others]) & held


def _match(entry: dict[str, Any]) -> bool:
    return (entry.get("search") or {}).get("mode", "match") == "match"


def test_a_visit_recorded_while_another_workstation_took_the_patient_off_is_kept(
    fhir_client: FhirClient, clinic_on_server: tuple[Clinic, str], tmp_path: Path
) -> None:
    """One workstation records the patient left; another, offline, records a visit: the visit
    reaches the server, the enrolment ends, and the planned visit both changed waits for a
    person (the same field, Task.status, changed on both sides) instead of one side winning."""
    from clinic_tui.offline_cache.conflicts import ConflictStore

    clinic, patient_id = clinic_on_server
    here, there = _workstation(tmp_path, "here"), _workstation(tmp_path, "there")
    sync_completely(here, fhir_client, clinic)
    now = wall_clock_now()
    enrolment = ChronicRegistry(here, clinic).enrol(patient_id, HTN, None, now.date())
    classified = Classification(Control.SATISFACTORY, (), now.date() + timedelta(days=90))
    ChronicRegistry(here, clinic).record_visit(
        patient_id, [HTN], VisitMode.CLINIC, now - timedelta(hours=2), VALUES, classified, None
    )
    sync_completely(here, fhir_client, clinic)
    sync_completely(there, fhir_client, clinic)

    ChronicRegistry(here, clinic).leave(enrolment.id, LeaveReason.DIED, now.date())
    visit = ChronicRegistry(there, clinic).record_visit(
        patient_id, [HTN], VisitMode.HOME, now, VALUES, classified, None
    )
    sync_completely(here, fhir_client, clinic)
    report = SyncEngine(there, fhir_client, clinic_id=clinic.id).run()

    assert (report.errors, report.rejected, report.conflicts) == ([], 0, 1)
    assert fhir_client.read("Encounter", visit.id)["class"]["code"] == "HH"
    assert fhir_client.read("EpisodeOfCare", enrolment.id)["status"] == "finished"
    [conflict] = ConflictStore(there).list()
    assert conflict.resource_type == "Task"
    assert {(f.path, f.local, f.remote) for f in conflict.fields if f.path == "status"} == {
        ("status", "completed", "cancelled")
    }
    assert ChronicRegistry(there, clinic).due_list(now.date()) == []
