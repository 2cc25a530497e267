"""Chart edits made offline reach the real server and come back, and two workstations merge.

Each test builds its own clinic on the shared test server (ids are unique), edits
a workstation's cache with the chart's own ChartEditor, runs real sync rounds,
and reads the result back from the server and from a second workstation's cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from clinic_tui.domain.chart_entry import (
    SUBSTANCES,
    AllergyEntry,
    ConditionEntry,
    DemographicsEntry,
    NoteEntry,
)
from clinic_tui.domain.chart_resources import note_of
from clinic_tui.domain.diagnosis_search import fallback_search
from clinic_tui.domain.models import AllergyState, Clinic, QueueStatus
from clinic_tui.domain.vital_entry import parse_vitals
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.offline_cache.conflicts import ConflictStore
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.queue_repository import QueueRepository
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.engine import SyncEngine
from tests.integration.workstation import outbox_length, sync_completely, unique_id, wall_clock_now

Resource = dict[str, Any]


@pytest.fixture
def clinic_on_server(fhir_client: FhirClient) -> tuple[Clinic, str, str]:
    """A clinic, its patient with a 'no known allergy' statement, and today's visit."""
    clinic = Clinic(unique_id("org"), "青山镇卫生院")
    patient_id, encounter_id = unique_id("pat"), unique_id("enc")
    fhir_client.put({"resourceType": "Organization", "id": clinic.id, "name": clinic.name})
    fhir_client.put(
        {
            "resourceType": "Patient",
            "id": patient_id,
            "name": [{"family": "王", "given": ["芳"]}],
            "gender": "female",
            "birthDate": "1970-02-03",
            "managingOrganization": {"reference": f"Organization/{clinic.id}"},
            "telecom": [{"system": "phone", "value": "13800138000", "use": "mobile"}],
        }
    )
    fhir_client.put(
        {
            "resourceType": "Encounter",
            "id": encounter_id,
            "status": "in-progress",
            "class": {"code": "AMB"},
            "subject": {"reference": f"Patient/{patient_id}"},
            "serviceProvider": {"reference": f"Organization/{clinic.id}"},
            "period": {"start": wall_clock_now().isoformat()},
            "reasonCode": [{"text": "头晕"}],
        }
    )
    fhir_client.put(
        {
            "resourceType": "AllergyIntolerance",
            "id": unique_id("nka"),
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                        "code": "active",
                    }
                ]
            },
            "verificationStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                        "code": "confirmed",
                    }
                ]
            },
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "716186003"}]},
            "patient": {"reference": f"Patient/{patient_id}"},
        }
    )
    return clinic, patient_id, encounter_id


def _workstation(tmp_path: Path, name: str) -> Engine:
    return open_cache(tmp_path / name / "clinic.sqlite3")


def _allergy(index: int) -> AllergyEntry:
    substance = SUBSTANCES[index]
    return AllergyEntry(
        substance=f"{substance.zh} {substance.en}",
        substance_code=substance,
        category=substance.category,
        criticality="high",
        reaction="荨麻疹 Urticaria",
        reaction_code="126485001",
        severity="moderate",
    )


def test_every_chart_edit_made_offline_reaches_the_server_and_a_second_workstation(
    fhir_client: FhirClient, clinic_on_server: tuple[Clinic, str, str], tmp_path: Path
) -> None:
    clinic, patient_id, encounter_id = clinic_on_server
    here = _workstation(tmp_path, "here")
    sync_completely(here, fhir_client, clinic)
    editor, now = ChartEditor(here, clinic), wall_clock_now()

    # Offline: every kind of chart edit, each with its outbox entry.
    condition_id = editor.add_condition(
        patient_id, ConditionEntry(fallback_search("J06")[0], None), now, encounter_id
    )
    allergy_id = editor.add_allergy(patient_id, _allergy(0), now)
    vitals, errors = parse_vitals(
        {
            "systolic": "168",
            "diastolic": "98",
            "temperature": "38.9",
            "weight": "70",
            "height": "172",
        }
    )
    assert errors == {}
    vital_ids = editor.record_vitals(patient_id, vitals, now, encounter_id)
    note = NoteEntry(subjective="头晕3天", assessment="高血压", plan="复诊 <2周>")
    note_id = editor.save_note(patient_id, encounter_id, note, now)
    editor.set_chief_complaint(encounter_id, "头晕3天 加重")
    editor.correct_demographics(
        patient_id, DemographicsEntry("13900139000", "青山镇石门村三组", "李明", "13700137000")
    )
    QueueRepository(here, clinic).set_status(encounter_id, QueueStatus.DONE, now)
    assert outbox_length(here) > 0

    sync_completely(here, fhir_client, clinic)

    assert outbox_length(here) == 0
    condition = fhir_client.read("Condition", condition_id)
    assert condition["code"]["coding"][0]["code"] == "J06.9"
    assert condition["encounter"]["reference"] == f"Encounter/{encounter_id}"
    allergy = fhir_client.read("AllergyIntolerance", allergy_id)
    assert allergy["reaction"][0]["manifestation"][0]["text"] == "荨麻疹 Urticaria"
    codes = [fhir_client.read("Observation", i)["code"]["coding"][-1]["code"] for i in vital_ids]
    assert codes == ["85354-9", "8310-5", "29463-7", "8302-2", "39156-5"]
    assert note_of(fhir_client.read("DocumentReference", note_id)) == note
    visit = fhir_client.read("Encounter", encounter_id)
    assert (visit["status"], visit["reasonCode"]) == ("finished", [{"text": "头晕3天 加重"}])
    patient = fhir_client.read("Patient", patient_id)
    assert patient["contact"][0]["name"] == {"text": "李明"}

    # A second workstation of the same clinic downloads all of it, the note included.
    there = _workstation(tmp_path, "there")
    sync_completely(there, fhir_client, clinic)
    chart = ChartRepository(there).load(patient_id, now.date())
    assert chart is not None
    assert chart.allergy_state is AllergyState.RECORDED
    assert [a.substance for a in chart.allergies] == ["青霉素 Penicillin"]
    assert [p.code for p in chart.problems] == ["J06.9"]
    assert {v.loinc for v in chart.vitals} == {"85354-9", "8310-5", "29463-7", "8302-2", "39156-5"}
    record = ChartEditor(there, clinic).visit_record(encounter_id)
    assert record is not None
    assert record.note == note
    assert record.diagnoses == ["J06.9 急性上呼吸道感染"]


def test_another_clinics_notes_stay_out_of_a_scoped_download(
    fhir_client: FhirClient, clinic_on_server: tuple[Clinic, str, str], tmp_path: Path
) -> None:
    clinic, patient_id, encounter_id = clinic_on_server
    other = Clinic(unique_id("org"), "白沙镇卫生院")
    fhir_client.put({"resourceType": "Organization", "id": other.id, "name": other.name})
    here = _workstation(tmp_path, "here")
    sync_completely(here, fhir_client, clinic)
    note_id = ChartEditor(here, clinic).save_note(
        patient_id, encounter_id, NoteEntry(free_text="仅本院可见"), wall_clock_now()
    )
    sync_completely(here, fhir_client, clinic)

    elsewhere = _workstation(tmp_path, "elsewhere")
    sync_completely(elsewhere, fhir_client, other)
    with elsewhere.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT count(*) FROM document_reference WHERE id = ?", (note_id,)
        ).scalar_one()
    assert found == 0


def test_two_workstations_adding_allergies_to_one_patient_merge(
    fhir_client: FhirClient, clinic_on_server: tuple[Clinic, str, str], tmp_path: Path
) -> None:
    clinic, patient_id, _ = clinic_on_server
    first, second = _workstation(tmp_path, "first"), _workstation(tmp_path, "second")
    sync_completely(first, fhir_client, clinic)
    sync_completely(second, fhir_client, clinic)
    now = wall_clock_now()

    # Both offline: each records a different allergy; each retires the same 'no known
    # allergy' statement in the same way (clinicalStatus inactive).
    ChartEditor(first, clinic).add_allergy(patient_id, _allergy(0), now)
    ChartEditor(second, clinic).add_allergy(patient_id, _allergy(4), now)
    sync_completely(first, fhir_client, clinic)
    sync_completely(second, fhir_client, clinic)
    sync_completely(first, fhir_client, clinic)

    for engine in (first, second):
        chart = ChartRepository(engine).load(patient_id, now.date())
        assert chart is not None
        assert sorted(a.substance for a in chart.allergies) == [
            "海鲜 Seafood",
            "青霉素 Penicillin",
        ]
        assert ConflictStore(engine).count() == 0
        assert outbox_length(engine) == 0


def test_the_same_allergy_record_changed_differently_on_two_workstations_waits_for_a_person(
    fhir_client: FhirClient, clinic_on_server: tuple[Clinic, str, str], tmp_path: Path
) -> None:
    clinic, patient_id, _ = clinic_on_server
    first, second = _workstation(tmp_path, "first"), _workstation(tmp_path, "second")
    sync_completely(first, fhir_client, clinic)
    sync_completely(second, fhir_client, clinic)
    statement = ChartEditor(first, clinic).allergies(patient_id)[0]
    assert statement.no_known

    # First withdraws the 'no known allergy' statement as entered in error (clinicalStatus
    # removed); second records an allergy, which makes the statement inactive.
    ChartEditor(first, clinic).allergy_entered_in_error(statement.id)
    sync_completely(first, fhir_client, clinic)
    ChartEditor(second, clinic).add_allergy(patient_id, _allergy(1), wall_clock_now())
    report = SyncEngine(second, fhir_client, clinic_id=clinic.id).run()

    assert report.conflicts == 1
    conflicts = ConflictStore(second).list()
    assert [(c.resource_id, [f.path for f in c.fields]) for c in conflicts] == [
        (statement.id, ["clinicalStatus"])
    ]
    # Nothing was overwritten on the server; the new allergy itself went up.
    on_server = fhir_client.read("AllergyIntolerance", statement.id)
    assert on_server["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in on_server
    chart = ChartRepository(second).load(patient_id, wall_clock_now().date())
    assert chart is not None
    assert [a.substance for a in chart.allergies] == ["头孢菌素类 Cephalosporins"]
