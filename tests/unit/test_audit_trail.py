"""The audit trail: every local write and every chart opening is recorded with who, in the cache."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clinic_tui.domain.audit import AuditAgent, audit_event
from clinic_tui.domain.models import Clinic
from clinic_tui.offline_cache.audit import AuditTrail, acting_agent, set_acting_agent
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import record_local_change, upsert_resources

PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"family": "李", "given": ["娜"]}],
    "gender": "female",
}


def _condition(ident: str = "c1") -> dict[str, object]:
    return {
        "resourceType": "Condition",
        "id": ident,
        "subject": {"reference": "Patient/p1"},
        "code": {"text": "高血压"},
    }


def _rows(engine: Engine) -> list[tuple[str, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.exec_driver_sql(
                "SELECT action, entity, patient_id, agent, agent_name FROM audit_event "
                "ORDER BY recorded, rowid"
            )
        ]


def test_a_local_write_is_audited_with_the_patient_and_the_acting_clinician(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [PATIENT])
    set_acting_agent(engine, AuditAgent("dr-wang", "王医生", "org-1", "青山镇卫生院"))

    record_local_change(engine, _condition(), "create")
    record_local_change(engine, {**_condition(), "note": [{"text": "复查"}]}, "update")

    assert _rows(engine) == [
        ("C", "Condition/c1", "p1", "Practitioner/dr-wang", "王医生"),
        ("U", "Condition/c1", "p1", "Practitioner/dr-wang", "王医生"),
    ]


def test_a_write_that_fails_leaves_no_audit_record(engine: Engine) -> None:
    record_local_change(engine, _condition(), "create")
    with pytest.raises(ValueError, match="already exists"):
        record_local_change(engine, _condition(), "create")
    assert len(_rows(engine)) == 1


def test_without_a_signed_in_clinician_the_workstation_user_is_named(engine: Engine) -> None:
    agent = acting_agent(engine)
    assert agent.practitioner_id is None
    record_local_change(engine, _condition(), "create")
    (row,) = _rows(engine)
    assert row[3] is None
    assert row[4] == agent.name


def test_a_chart_opening_is_a_read_of_the_patient_listed_newest_first(engine: Engine) -> None:
    trail = AuditTrail(engine)
    trail.chart_opened("p1", datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    record_local_change(engine, _condition(), "create")
    trail.chart_opened("p2", datetime(2026, 11, 30, 9, 0, tzinfo=UTC))

    listed = trail.for_patient("p1")
    assert [record.action for record in listed] == ["create", "read"]
    assert listed[1].entity == "Patient/p1"
    assert not listed[1].sent
    assert trail.waiting() == 3


def test_switching_clinician_changes_who_is_recorded_and_who_authors(cache_file: Path) -> None:
    from clinic_tui.offline_cache.engine import open_cache

    engine = open_cache(cache_file)
    with engine.begin() as connection:
        upsert_resources(
            connection,
            [PATIENT, {"resourceType": "Organization", "id": "org-1", "name": "青山镇卫生院"}],
        )
    cache = ClinicCache(engine, "org-1", practitioner_id="dr-wang")
    assert cache.clinic == Clinic("org-1", "青山镇卫生院")
    record_local_change(engine, _condition("c1"), "create")
    cache.set_clinician("dr-li", "李医生")
    record_local_change(engine, _condition("c2"), "create")
    assert [row[3] for row in _rows(engine)] == ["Practitioner/dr-wang", "Practitioner/dr-li"]
    assert cache.chart_edits.practitioner_id == "dr-li"
    engine.dispose()


def test_the_audit_event_is_valid_fhir_r4() -> None:
    event = audit_event(
        "e1",
        "read",
        "Patient/p1",
        "p1",
        AuditAgent("dr-wang", "王医生", "org-1", "青山镇卫生院"),
        datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        "chart opened",
    )
    assert event["action"] == "R"
    assert event["agent"][0]["requestor"] is True
    assert event["agent"][0]["who"] == {"reference": "Practitioner/dr-wang"}
    assert event["source"]["observer"]["reference"] == "Organization/org-1"
    roles = {entity["role"]["code"] for entity in event["entity"]}
    assert roles == {"1"}  # the chart read is of the patient itself
    write = audit_event(
        "e2", "update", "Condition/c1", "p1", AuditAgent(), datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert {e["what"]["reference"] for e in write["entity"]} == {"Condition/c1", "Patient/p1"}
    assert write["source"]["observer"] == {"display": "clinic-tui workstation"}
    with pytest.raises(ValueError, match="not an audited interaction"):
        audit_event("e3", "search", "Patient/p1", "p1", AuditAgent(), datetime.now(UTC))


def test_the_trail_is_due_once_its_oldest_record_waited_or_a_batch_is_full(
    engine: Engine,
) -> None:
    from datetime import timedelta

    from clinic_tui.sync.audit_upload import BUNDLE_SIZE, SEND_AFTER, audit_due

    trail = AuditTrail(engine)
    opened = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert not audit_due(engine, opened)  # nothing waits
    trail.chart_opened("p1", opened)
    assert not audit_due(engine, opened + SEND_AFTER - timedelta(seconds=1))
    assert audit_due(engine, opened + SEND_AFTER)
    for _ in range(BUNDLE_SIZE - 1):
        trail.chart_opened("p1", opened + SEND_AFTER)
    assert audit_due(engine, opened)  # a full batch goes at once
