"""A clinic's sync takes its patients, their records, its referrals and recent encounters only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.offline_cache.tables import RESOURCE_TABLES
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.engine import SyncEngine
from clinic_tui.sync.scope import SyncScope

Resource = dict[str, Any]


@dataclass
class World:
    """Two clinics and a hospital on the server; ids per role."""

    clinic_a: str
    clinic_b: str
    hospital: str
    ids: dict[str, set[tuple[str, str]]]
    """role -> {(type, id)}: 'a' = clinic A's scope, 'b' = only clinic B's, 'neither'."""

    @property
    def every(self) -> set[tuple[str, str]]:
        """Every record this test wrote."""
        return set().union(*self.ids.values())


def _ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def records(patient: str, tag: str) -> list[Resource]:
    """One record of each patient-compartment type for `patient`."""
    concept = {"text": f"{tag} test"}
    return [
        {
            "resourceType": "Condition",
            "id": f"cond-{tag}",
            "subject": _ref("Patient", patient),
            "code": concept,
        },
        {
            "resourceType": "AllergyIntolerance",
            "id": f"alg-{tag}",
            # FHIR R4 invariant ait-1: clinicalStatus unless entered-in-error (Medplum checks it).
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                        "code": "active",
                    }
                ]
            },
            "patient": _ref("Patient", patient),
            "code": concept,
        },
        {
            "resourceType": "Observation",
            "id": f"obs-{tag}",
            "status": "final",
            "code": concept,
            "subject": _ref("Patient", patient),
            "valueQuantity": {"value": 120, "unit": "mmHg"},
        },
        {
            "resourceType": "MedicationRequest",
            "id": f"med-{tag}",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": concept,
            "subject": _ref("Patient", patient),
        },
    ]


def encounter(ident: str, patient: str, provider: str, day: date) -> Resource:
    return {
        "resourceType": "Encounter",
        "id": ident,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": _ref("Patient", patient),
        "serviceProvider": _ref("Organization", provider),
        "period": {"start": f"{day.isoformat()}T09:00:00+08:00"},
    }


def referral(ident: str, patient: str, source: str, target: str) -> list[Resource]:
    return [
        {
            "resourceType": "ServiceRequest",
            "id": f"sr-{ident}",
            "status": "active",
            "intent": "order",
            "subject": _ref("Patient", patient),
            "requester": _ref("Organization", source),
            "performer": [_ref("Organization", target)],
        },
        {
            "resourceType": "Task",
            "id": f"task-{ident}",
            "status": "requested",
            "intent": "order",
            "for": _ref("Patient", patient),
            "requester": _ref("Organization", source),
            "owner": _ref("Organization", target),
        },
    ]


@pytest.fixture
def world(fhir_client: FhirClient) -> World:
    """Clinic A (patients a1, a2), clinic B (b1), the county hospital, and their records."""
    run = uuid.uuid4().hex[:8]
    a, b, hosp = f"clinic-a-{run}", f"clinic-b-{run}", f"county-{run}"
    a1, a2, b1, b2 = (f"{p}-{run}" for p in ("a1", "a2", "b1", "b2"))
    today = date.today()
    # B's records are written first, so they are older than anything A's watermarks reach:
    # only a watermark of its own per scope brings them when the scope changes to B.
    roles: dict[str, list[Resource]] = {"b": [], "neither": [], "a": []}
    for org in (a, b, hosp):
        roles["a"].append({"resourceType": "Organization", "id": org, "name": org})
    for patient, clinic in ((a1, a), (a2, a), (b1, b), (b2, b)):
        role = "a" if clinic == a else "b"
        roles[role].append(
            {
                "resourceType": "Patient",
                "id": patient,
                "managingOrganization": _ref("Organization", clinic),
            }
        )
        roles[role].extend(records(patient, patient))
    roles["a"].append(encounter(f"enc-recent-{run}", a1, a, today - timedelta(days=10)))
    # A's patient seen at the hospital recently: part of A's patient's record.
    roles["a"].append(encounter(f"enc-hosp-{run}", a2, hosp, today - timedelta(days=3)))
    roles["neither"].append(encounter(f"enc-old-{run}", a1, a, today - timedelta(days=900)))
    roles["b"].append(encounter(f"enc-b-{run}", b1, b, today - timedelta(days=2)))
    roles["a"].extend(referral(f"up-{run}", a1, a, hosp))  # clinic A -> county hospital
    roles["a"].extend(referral(f"down-{run}", b2, hosp, a))  # hospital -> clinic A
    roles["b"].extend(referral(f"other-{run}", b1, b, hosp))  # unrelated to A
    ids: dict[str, set[tuple[str, str]]] = {}
    for role, resources in roles.items():
        for resource in resources:
            fhir_client.put(resource)
        ids[role] = {(r["resourceType"], r["id"]) for r in resources}
    # B's patient referred down to A comes to A (sync/referred_patients.py); its records do not.
    ids["b"].remove(("Patient", b2))
    ids["a"].add(("Patient", b2))
    return World(a, b, hosp, ids)


def _cached(engine: Engine) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    with engine.connect() as connection:
        for kind, row in RESOURCE_TABLES.items():
            table = row.__tablename__  # type: ignore[attr-defined]
            found.update((kind, i) for (i,) in connection.execute(text(f"SELECT id FROM {table}")))
    return found


def _sync(engine: Engine, client: FhirClient, clinic: str | None) -> None:
    report = SyncEngine(engine, client, clinic_id=clinic).run()
    assert report.errors == []


def test_a_clinic_gets_its_patients_records_referrals_and_recent_encounters(
    engine: Engine, fhir_client: FhirClient, world: World
) -> None:
    _sync(engine, fhir_client, world.clinic_a)
    mine = _cached(engine) & world.every
    assert mine == world.ids["a"]
    # No other clinic's patient came down either, whoever wrote it, but the one referred to A.
    with engine.connect() as connection:
        owners = {
            o
            for (o,) in connection.execute(
                text(
                    "SELECT json_extract(resource_json, '$.managingOrganization.reference')"
                    " FROM patient"
                )
            )
        }
    assert owners == {f"Organization/{world.clinic_a}", f"Organization/{world.clinic_b}"}
    # ... and of that patient only the Patient: its records are in ids["b"], not cached.
    assert [i for k, i in mine if k == "Patient" and i.startswith("b2-")] != []


def test_without_a_clinic_everything_comes(
    engine: Engine, fhir_client: FhirClient, world: World
) -> None:
    _sync(engine, fhir_client, None)
    assert world.every <= _cached(engine)


def test_a_changed_scope_downloads_what_is_newly_in_it(
    engine: Engine, fhir_client: FhirClient, world: World
) -> None:
    _sync(engine, fhir_client, world.clinic_a)
    assert not world.ids["b"] & _cached(engine)
    _sync(engine, fhir_client, world.clinic_b)
    cached = _cached(engine) & world.every
    # B's own records, including the encounter and referral it wrote, now; A's stay cached.
    assert world.ids["b"] <= cached
    assert world.ids["a"] <= cached
    assert ("Encounter", next(i for k, i in world.ids["neither"])) not in cached


def test_the_encounter_window_is_a_setting(
    engine: Engine, fhir_client: FhirClient, world: World
) -> None:
    scope = SyncScope(clinic_id=world.clinic_a, encounter_days=5)
    report = SyncEngine(engine, fhir_client, scope=scope, resource_types=["Encounter"]).run()
    assert report.errors == []
    encounters = {i for k, i in _cached(engine) & world.every if k == "Encounter"}
    assert encounters == {i for k, i in world.ids["a"] if k == "Encounter" and "hosp" in i}
