"""Small FHIR R4 fixtures for tests: plain functions returning resource dicts.

Shared between test modules; keep the API simple (keyword arguments, dicts out).
`queue_day()` is a whole morning's queue at one township clinic, used by the
queue's unit, Pilot and snapshot tests.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from clinic_tui.domain.fhir import QUEUE_NUMBER_SYSTEM
from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM, make

Resource = dict[str, Any]

CST = timezone(timedelta(hours=8))
QUEUE_NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CST)
"""'Now' of the queue fixtures: a Tuesday, 10:00 China Standard Time."""
CLINIC_ID = "org-township"
COUNTY_ID = "org-county"


def queue_clock() -> datetime:
    """A fixed clock at QUEUE_NOW."""
    return QUEUE_NOW


def organization(ident: str, name: str, kind: str = "township") -> Resource:
    """An Organization (township health centre by default)."""
    return {
        "resourceType": "Organization",
        "id": ident,
        "meta": {"versionId": "1", "lastUpdated": "2026-01-01T00:00:00+08:00"},
        "name": name,
        "type": [{"coding": [{"system": "urn:clinic-tui:org-kind", "code": kind}]}],
    }


def patient(
    ident: str,
    name: str,
    gender: str,
    birth_date: str,
    *,
    id_number: str | None = None,
    phone: str | None = None,
    organization_id: str = CLINIC_ID,
) -> Resource:
    """A synced Patient: a Han name is family = first character; a Latin one, the last word."""
    if name.isascii():
        family, given = name.split()[-1], name.split()[:-1]
    else:
        family, given = name[0], [name[1:]]
    resource: Resource = {
        "resourceType": "Patient",
        "id": ident,
        "meta": {"versionId": "1", "lastUpdated": "2026-11-01T08:00:00+08:00"},
        "name": [{"family": family, "given": given}],
        "gender": gender,
        "birthDate": birth_date,
        "managingOrganization": {"reference": f"Organization/{organization_id}"},
    }
    if id_number:
        resource["identifier"] = [{"system": IDENTIFIER_SYSTEM, "value": id_number}]
    if phone:
        resource["telecom"] = [{"system": "phone", "value": phone}]
    return resource


def encounter(
    ident: str,
    patient_id: str,
    number: int,
    arrived: datetime,
    complaint: str,
    *,
    priority: str = "R",
    status: str = "arrived",
    organization_id: str = CLINIC_ID,
) -> Resource:
    """A synced queue Encounter (a registration) at `organization_id`."""
    return {
        "resourceType": "Encounter",
        "id": ident,
        "meta": {"versionId": "1", "lastUpdated": arrived.isoformat()},
        "identifier": [{"system": QUEUE_NUMBER_SYSTEM, "value": str(number)}],
        "status": status,
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
        },
        "priority": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority", "code": priority}
            ]
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "serviceProvider": {"reference": f"Organization/{organization_id}"},
        "period": {"start": arrived.isoformat(timespec="seconds")},
        "reasonCode": [{"text": complaint}],
        "extension": [{"url": "urn:example:unmodelled", "valueString": "keep me"}],
    }


def queue_day() -> list[Resource]:
    """Two clinics, six patients and this morning's queue at the township clinic.

    Waiting: #2 urgent (09:10), #3 routine (08:20, the longest wait), #5 emergency (09:50),
    #6 routine with a long complaint; #1 is done, #4 in consultation. Yesterday's visit
    and the county's registration must not show.
    """
    at = QUEUE_NOW.replace
    return [
        organization(CLINIC_ID, "青山镇卫生院"),
        organization(COUNTY_ID, "清河县人民医院", kind="county"),
        patient(
            "p-zhang", "张伟", "male", "1965-04-12", id_number=make("110105", date(1965, 4, 12), 11)
        ),
        patient("p-ouyang", "欧阳秀英", "female", "1990-08-30", phone="13800138000"),
        patient("p-li", "李娜", "female", "1948-01-02"),
        patient("p-wang", "王小明", "male", "2025-03-01"),
        patient("p-chen", "陈建国", "male", "1979-12-12"),
        patient("p-smith", "John Smith", "male", "1985-05-05"),
        encounter("e-1", "p-li", 1, at(hour=8, minute=5), "复诊取药", status="finished"),
        encounter("e-2", "p-ouyang", 2, at(hour=9, minute=10), "腹痛两天", priority="UR"),
        encounter("e-3", "p-chen", 3, at(hour=8, minute=20), "咳嗽一周"),
        encounter("e-4", "p-zhang", 4, at(hour=8, minute=40), "头晕", status="in-progress"),
        encounter("e-5", "p-wang", 5, at(hour=9, minute=50), "高热惊厥", priority="EM"),
        encounter(
            "e-6",
            "p-smith",
            6,
            at(hour=9, minute=55),
            "Persistent lower back pain radiating to the left leg for three weeks",
        ),
        encounter("e-old", "p-zhang", 7, QUEUE_NOW - timedelta(days=1), "昨天的就诊"),
        encounter("e-county", "p-li", 1, at(hour=9), "转诊复查", organization_id=COUNTY_ID),
    ]
