"""A township cache with patients in the chronic programmes, for the follow-up screens' tests.

On the chart fixtures' clock (2026-11-24, a Tuesday), the clinic 'org-town' has:
- 张伟 (p-allergic, 李家村): hypertension since 2026-01-10, last seen 2026-10-01
  uncontrolled, next due 2026-10-15: overdue 40 days (the first row);
- 赵春梅 (p-zhao, 李家村): hypertension since 2026-02-01, seen 2026-09-01, due 2026-11-27;
- 孙立军 (p-sun, 王庄): type 2 diabetes since 2026-11-01, never seen (no date yet);
- 周海 (p-zhou, 王庄): hypertension, seen 2026-11-20, next 2027-02-18 (not on the list);
- 李秀英 (p-nka): no programme, no diagnosis.
Two clinicians: pr-1 王医生 (the one signed in) and pr-2 陈医生.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from clinic_tui.followup.classify import classify
from clinic_tui.followup.model import FollowUpValues, Programme, VisitMode
from clinic_tui.followup.registry import ChronicRegistry
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import upsert_resources
from tests.ui.chart_fixtures import CST, condition, fill_cache, patient

Resource = dict[str, Any]


def _practitioner(ident: str, name: str) -> Resource:
    return {"resourceType": "Practitioner", "id": ident, "name": [{"text": name}]}


def _villager(ident: str, family: str, given: str, gender: str, birth: str, home: str) -> Resource:
    resource = patient(ident, family, given, gender, birth)
    resource["address"] = [{"use": "home", "line": [home]}]
    resource["managingOrganization"] = {"reference": "Organization/org-town"}
    return resource


def _visit(
    registry: ChronicRegistry,
    patient_id: str,
    programme: Programme,
    day: date,
    systolic: int,
    diastolic: int,
    clinician: str,
) -> None:
    values = FollowUpValues(systolic=systolic, diastolic=diastolic)
    previous = registry.visits(patient_id)
    found = classify((programme,), values, previous, day)
    when = datetime(day.year, day.month, day.day, 10, 0, tzinfo=CST)
    registry.record_visit(patient_id, (programme,), VisitMode.HOME, when, values, found, clinician)


def followup_cache(engine: Engine) -> ClinicCache:
    """The chart fixtures plus the programme patients above, enrolled and visited."""
    fill_cache(engine)
    with engine.begin() as connection:
        upsert_resources(
            connection,
            [
                _practitioner("pr-1", "王医生"),
                _practitioner("pr-2", "陈医生"),
                _villager("p-zhao", "赵", "春梅", "female", "1960-04-02", "李家村2组8号"),
                _villager("p-sun", "孙", "立军", "male", "1955-09-30", "王庄村5组1号"),
                _villager("p-zhou", "周", "海", "male", "1962-01-15", "王庄村1组3号"),
                condition("c-zhao", "p-zhao", "I10", "原发性高血压", "2025-12-01"),
                condition("c-sun", "p-sun", "E11.9", "2型糖尿病", "2026-10-20"),
                condition("c-zhou", "p-zhou", "I10", "原发性高血压", "2024-03-01"),
            ],
        )
        # 张建国 lives in 李家村 too.
    cache = ClinicCache(engine, "org-town", practitioner_id="pr-1")
    _set_address(cache, "p-allergic", "李家村3组12号")
    registry = ChronicRegistry(engine, cache.clinic, "pr-1")
    registry.enrol("p-allergic", Programme.HYPERTENSION, "pr-1", date(2026, 1, 10))
    registry.enrol("p-zhao", Programme.HYPERTENSION, "pr-1", date(2026, 2, 1))
    registry.enrol("p-sun", Programme.DIABETES, "pr-2", date(2026, 11, 1))
    registry.enrol("p-zhou", Programme.HYPERTENSION, "pr-2", date(2026, 1, 5))
    _visit(registry, "p-allergic", Programme.HYPERTENSION, date(2026, 10, 1), 158, 96, "pr-1")
    _visit(registry, "p-zhao", Programme.HYPERTENSION, date(2026, 8, 29), 132, 84, "pr-1")
    _visit(registry, "p-zhou", Programme.HYPERTENSION, date(2026, 11, 20), 128, 80, "pr-2")
    return cache


def _set_address(cache: ClinicCache, patient_id: str, home: str) -> None:
    from clinic_tui.offline_cache.store import read_resource

    with cache.engine.begin() as connection:
        resource = read_resource(connection, "Patient", patient_id)
        assert resource is not None
        resource["address"] = [{"use": "home", "line": [home]}]
        upsert_resources(connection, [resource])
