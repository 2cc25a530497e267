"""A handful of FHIR Patients whose names, pinyin, identity numbers and phones overlap on purpose.

张三 (zhangsan) and 张珊 (zhangshan) share the initials zs; 章三丰 (zhangsanfeng, zsf) extends
张三's full pinyin under another surname character; 李四 shares nothing; John Smith has a Latin
name and an identity number ending in X; Emma Brown has a passport; 王五 is inactive (merged)
and never found.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM, make
from clinic_tui.offline_cache.store import upsert_resources

Resource = dict[str, Any]

ZHANG_SAN_ID_NUMBER = make("110105", date(1958, 3, 14), 21)
ZHANG_SHAN_ID_NUMBER = make("110105", date(1961, 7, 2), 33)
ZHANG_SANFENG_ID_NUMBER = make("320102", date(1990, 1, 9), 45)
LI_SI_ID_NUMBER = make("440305", date(1975, 11, 30), 57)
SMITH_ID_NUMBER = make("110105", date(1980, 5, 20), 1)
"""Ends in the check character X."""


BROWN_PASSPORT = "PA1234567"


def patient(
    ident: str,
    family: str,
    given: str,
    *,
    gender: str,
    birth: str,
    id_number: str,
    phone: str,
    active: bool = True,
    id_system: str = IDENTIFIER_SYSTEM,
) -> Resource:
    """A FHIR Patient with an identity number (or passport) and a phone."""
    return {
        "resourceType": "Patient",
        "id": ident,
        "meta": {"versionId": "1", "lastUpdated": "2026-11-01T08:00:00+08:00"},
        "active": active,
        "name": [{"family": family, "given": [given]}],
        "gender": gender,
        "birthDate": birth,
        "identifier": [{"system": id_system, "value": id_number}],
        "telecom": [{"system": "phone", "value": phone}],
    }


PATIENTS: list[Resource] = [
    patient(
        "p-zhangsan",
        "张",
        "三",
        gender="male",
        birth="1958-03-14",
        id_number=ZHANG_SAN_ID_NUMBER,
        phone="13800138000",
    ),
    patient(
        "p-zhangshan",
        "张",
        "珊",
        gender="female",
        birth="1961-07-02",
        id_number=ZHANG_SHAN_ID_NUMBER,
        phone="13800139111",
    ),
    patient(
        "p-zhangsanfeng",
        "章",
        "三丰",
        gender="male",
        birth="1990-01-09",
        id_number=ZHANG_SANFENG_ID_NUMBER,
        phone="13912345678",
    ),
    patient(
        "p-lisi",
        "李",
        "四",
        gender="female",
        birth="1975-11-30",
        id_number=LI_SI_ID_NUMBER,
        phone="15900001111",
    ),
    patient(
        "p-smith",
        "Smith",
        "John",
        gender="male",
        birth="1980-05-20",
        id_number=SMITH_ID_NUMBER,
        phone="18611112222",
    ),
    patient(
        "p-brown",
        "Brown",
        "Emma",
        gender="female",
        birth="1988-04-04",
        id_number=BROWN_PASSPORT,
        phone="18700001111",
        id_system="http://hl7.org/fhir/sid/passport-GBR",
    ),
    patient(
        "p-wangwu",
        "王",
        "五",
        gender="male",
        birth="1950-02-02",
        id_number=make("110105", date(1950, 2, 2), 99),
        phone="13800138001",
        active=False,
    ),
]


def fill_cache(engine: Engine) -> None:
    """Store the fixture patients through the cache's one way in."""
    with engine.begin() as connection:
        upsert_resources(connection, PATIENTS)
