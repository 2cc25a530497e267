"""A county hospital's cache holding one patient a township referred to it, and nothing else
of that patient: what the hospital's sync brings (sync/referred_patients.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import upsert_resources
from tests.ui.chart_fixtures import condition, organization, patient

TOWN, COUNTY = "org-town", "org-county"
TOWN_NAME = "青山镇卫生院"
REFERRED = "p-referred"
SUMMARY = "头晕三天。既往史：高血压10年。过敏史：青霉素（皮疹）。用药：氨氯地平 5mg qd。"
"""What the township wrote in the referral (ServiceRequest.note)."""


def _org(ident: str) -> dict[str, str]:
    return {"reference": f"Organization/{ident}"}


def referred_resources() -> list[dict[str, Any]]:
    """The two clinics, the referred patient and its referral (request and Task)."""
    person = patient(REFERRED, "张", "伟", "male", "1958-03-14", phone="13800138000")
    person["managingOrganization"] = _org(TOWN)
    subject = {"reference": f"Patient/{REFERRED}", "display": "张伟"}
    return [
        organization(TOWN, TOWN_NAME, "township"),
        organization(COUNTY, "青山县人民医院", "county"),
        person,
        {
            "resourceType": "ServiceRequest",
            "id": "sr-1",
            "status": "active",
            "intent": "order",
            "priority": "urgent",
            "subject": subject,
            "authoredOn": "2026-11-24T08:00:00+08:00",
            "requester": _org(TOWN),
            "performer": [_org(COUNTY)],
            "reasonCode": [{"text": "高血压 头晕"}],
            "note": [{"text": SUMMARY}],
        },
        {
            "resourceType": "Task",
            "id": "task-1",
            "status": "requested",
            "intent": "order",
            "priority": "urgent",
            "focus": {"reference": "ServiceRequest/sr-1"},
            "for": subject,
            "authoredOn": "2026-11-24T08:00:00+08:00",
            "requester": _org(TOWN),
            "owner": _org(COUNTY),
        },
    ]


def hospital_cache(engine: Engine, *, recorded_here: bool = False) -> ClinicCache:
    """The hospital's cache; `recorded_here` adds a diagnosis the hospital itself wrote."""
    resources = referred_resources()
    if recorded_here:
        resources.append(condition("c-here", REFERRED, "I10", "原发性高血压", "2026-11-24"))
    with engine.begin() as connection:
        upsert_resources(connection, resources)
    return ClinicCache(engine, clinic_id=COUNTY)
