"""FHIR records of three patients whose charts cover every state the chart screen shows.

- p-allergic: recorded allergies (one high criticality), active and resolved problems,
  active and stopped medications (one unsynced), vital-sign histories, visits at two places.
- p-nka: a recorded 'no known allergy' and little else.
- p-unrecorded: no allergy record at all, an infant (age in months), nothing else.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM, make
from clinic_tui.offline_cache.store import record_local_change, upsert_resources

if TYPE_CHECKING:
    from clinic_tui.app import ClinicApp
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

Resource = dict[str, Any]

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=CST)
TODAY = NOW.date()
ALLERGIC_ID_NUMBER = make("110105", date(1958, 3, 14), 17)

LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"


def fixed_clock() -> datetime:
    """The tests' 'now': a Tuesday morning in a Chinese clinic."""
    return NOW


def _ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def patient(
    ident: str,
    family: str,
    given: str,
    gender: str,
    birth: str,
    id_number: str | None = None,
    phone: str | None = None,
) -> Resource:
    """A Patient with an optional identity number, phone and a health-card number."""
    resource: Resource = {
        "resourceType": "Patient",
        "id": ident,
        "meta": {"versionId": "1", "lastUpdated": "2026-11-01T08:00:00+08:00"},
        "name": [{"family": family, "given": [given]}],
        "gender": gender,
        "birthDate": birth,
        "identifier": [],
    }
    if id_number:
        resource["identifier"].append({"system": IDENTIFIER_SYSTEM, "value": id_number})
        resource["identifier"].append(
            {
                "system": "urn:clinic-tui:health-card",
                "type": {"text": "Health card"},
                "value": f"HC{id_number[-6:]}",
            }
        )
    if phone:
        resource["telecom"] = [{"system": "phone", "value": phone}]
    return resource


def organization(ident: str, name: str, kind: str) -> Resource:
    """A township health centre or county hospital."""
    return {
        "resourceType": "Organization",
        "id": ident,
        "name": name,
        "type": [{"coding": [{"code": kind}]}],
    }


def allergy(
    ident: str,
    patient_id: str,
    text: str,
    *,
    code: str = "91936005",
    criticality: str | None = None,
    reaction: str | None = None,
    status: str = "active",
    verification: str = "confirmed",
) -> Resource:
    """An AllergyIntolerance; code 716186003 makes it a 'no known allergy' record."""
    resource: Resource = {
        "resourceType": "AllergyIntolerance",
        "id": ident,
        "patient": _ref("Patient", patient_id),
        "clinicalStatus": {"coding": [{"code": status}]},
        "verificationStatus": {"coding": [{"code": verification}]},
        "code": {"coding": [{"system": SNOMED, "code": code}], "text": text},
    }
    if criticality:
        resource["criticality"] = criticality
    if reaction:
        resource["reaction"] = [{"manifestation": [{"text": reaction}]}]
    return resource


def condition(
    ident: str, patient_id: str, code: str, display: str, onset: str, status: str = "active"
) -> Resource:
    """A Condition coded in ICD-10."""
    return {
        "resourceType": "Condition",
        "id": ident,
        "subject": _ref("Patient", patient_id),
        "clinicalStatus": {"coding": [{"code": status}]},
        "code": {"coding": [{"system": ICD10, "code": code, "display": display}]},
        "onsetDateTime": onset,
    }


def medication(
    ident: str, patient_id: str, name: str, dosage: str, authored: str, status: str = "active"
) -> Resource:
    """A MedicationRequest with a free-text dosage."""
    return {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": status,
        "intent": "order",
        "subject": _ref("Patient", patient_id),
        "medicationCodeableConcept": {"text": name},
        "dosageInstruction": [{"text": dosage}],
        "authoredOn": authored,
    }


def vital(ident: str, patient_id: str, code: str, value: float, unit: str, when: str) -> Resource:
    """A single-valued vital-sign Observation."""
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "category": [{"coding": [{"code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": _ref("Patient", patient_id),
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit},
    }


def blood_pressure(
    ident: str, patient_id: str, systolic: float, diastolic: float, when: str
) -> Resource:
    """A blood-pressure panel (85354-9) with systolic and diastolic components."""

    def component(code: str, value: float) -> Resource:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "unit": "mmHg"},
        }

    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "category": [{"coding": [{"code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "subject": _ref("Patient", patient_id),
        "effectiveDateTime": when,
        "component": [component("8480-6", systolic), component("8462-4", diastolic)],
    }


def encounter(
    ident: str, patient_id: str, org: str, start: str, reason: str, status: str = "finished"
) -> Resource:
    """A visit at `org` starting at `start`."""
    return {
        "resourceType": "Encounter",
        "id": ident,
        "status": status,
        "class": {"code": "AMB"},
        "subject": _ref("Patient", patient_id),
        "serviceProvider": _ref("Organization", org),
        "period": {"start": start},
        "reasonCode": [{"text": reason}],
    }


def _allergic_patient() -> list[Resource]:
    pid = "p-allergic"
    resources: list[Resource] = [
        patient(pid, "张", "伟", "male", "1958-03-14", ALLERGIC_ID_NUMBER, "13800138000"),
        allergy("a-1", pid, "磺胺类 Sulfonamides", criticality="low", reaction="皮疹 rash"),
        allergy(
            "a-2", pid, "青霉素 Penicillin", criticality="high", reaction="过敏性休克 anaphylaxis"
        ),
        allergy("a-3", pid, "花粉 Pollen", status="resolved"),
        allergy("a-4", pid, "头孢 Cefalexin", verification="refuted"),
        condition("c-1", pid, "I10", "原发性高血压 Essential hypertension", "2015-06-01"),
        condition("c-2", pid, "E11.9", "2型糖尿病 Type 2 diabetes", "2019-09-12"),
        condition(
            "c-3", pid, "J06.9", "急性上呼吸道感染 Acute URTI", "2024-01-05", status="resolved"
        ),
        medication("m-1", pid, "氨氯地平片 Amlodipine 5mg", "5mg 口服 每日一次 qd", "2025-03-02"),
        medication("m-2", pid, "二甲双胍片 Metformin 0.5g", "0.5g 口服 每日三次 tid", "2024-10-10"),
        medication(
            "m-3", pid, "阿莫西林 Amoxicillin", "0.5g tid", "2024-01-05", status="completed"
        ),
        organization("org-town", "青山镇卫生院", "township"),
        organization("org-county", "青山县人民医院", "county"),
        encounter("e-1", pid, "org-town", "2026-11-24T08:05:00+08:00", "头晕 dizziness", "arrived"),
        encounter("e-2", pid, "org-town", "2026-10-20T09:00:00+08:00", "复诊 follow-up"),
        encounter("e-3", pid, "org-county", "2026-06-03T10:30:00+08:00", "胸闷 chest tightness"),
        encounter("e-4", pid, "org-town", "2026-12-01T09:00:00+08:00", "复诊", "planned"),
    ]
    systolic = [(150, 95), (146, 92), (141, 90), (138, 88), (152, 96)]
    for index, (high, low) in enumerate(systolic):
        when = f"2026-{6 + index:02d}-15T09:00:00+08:00"
        resources.append(blood_pressure(f"bp-{index}", pid, high, low, when))
    for index, rate in enumerate([72, 80, 88]):
        when = f"2026-{8 + index:02d}-15T09:00:00+08:00"
        resources.append(vital(f"hr-{index}", pid, "8867-4", rate, "/min", when))
    resources += [
        vital("t-1", pid, "8310-5", 36.8, "°C", "2026-10-15T09:00:00+08:00"),
        vital("rr-1", pid, "9279-1", 18, "/min", "2026-10-15T09:00:00+08:00"),
        vital("o-1", pid, "59408-5", 97, "%", "2026-09-15T09:00:00+08:00"),
        vital("o-2", pid, "2708-6", 95, "%", "2026-10-15T09:00:00+08:00"),
        vital("w-1", pid, "29463-7", 72.5, "kg", "2026-06-15T09:00:00+08:00"),
        vital("w-2", pid, "29463-7", 71.0, "kg", "2026-10-15T09:00:00+08:00"),
        vital("h-1", pid, "8302-2", 168, "cm", "2026-06-15T09:00:00+08:00"),
        vital("bmi-1", pid, "39156-5", 25.2, "kg/m2", "2026-10-15T09:00:00+08:00"),
    ]
    return resources


def all_resources() -> list[Resource]:
    """Every fixture record that arrives as if from the server."""
    return [
        *_allergic_patient(),
        patient(
            "p-nka", "李", "秀英", "female", "1972-05-20", make("320102", date(1972, 5, 20), 8)
        ),
        allergy("a-nka", "p-nka", "无已知过敏 No known allergy", code="716186003"),
        patient("p-unrecorded", "王", "小明", "male", "2026-03-02"),
    ]


PENDING_MEDICATION = medication(
    "m-new", "p-allergic", "阿司匹林肠溶片 Aspirin 100mg", "100mg 口服 每日一次 qd", "2026-11-24"
)
"""A prescription written locally today, not yet uploaded."""


def fill_cache(engine: Engine) -> None:
    """Load the fixture records, then one local (unsynced) change through the outbox."""
    with engine.begin() as connection:
        upsert_resources(connection, all_resources())
    record_local_change(engine, PENDING_MEDICATION, "create")


def fixture_clinic(engine: Engine) -> ClinicCache:
    """The township's cache holding these records (p-allergic is in today's queue)."""
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    fill_cache(engine)
    return ClinicCache(engine, "org-town")


def clinic_app(cache: ClinicCache) -> ClinicApp:
    """The real app on a fixture cache, on the fixtures' clock."""
    from clinic_tui.app import ClinicApp
    from clinic_tui.config import Settings

    return ClinicApp(settings=Settings(data_dir=cache.path.parent), cache=cache, clock=fixed_clock)
