"""QueueRepository: today's queue, call next, status changes, walk-ins and undo, on a real cache."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from clinic_tui.domain.models import Clinic, Gender, Priority, QueueStatus
from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM, make
from clinic_tui.domain.registration import (
    CONTACT_ROLE_SYSTEM,
    DUPLICATE_DECISION_URL,
    INSURANCE_SYSTEM,
    Contact,
    DuplicateDecision,
    MatchedOn,
    NewPatient,
    Relationship,
    split_name,
)
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.queue_repository import (
    LEFT_REASON_URL,
    REGISTERED_AGAIN_URL,
    AlreadyInQueueError,
    PossibleDuplicateError,
    QueueRepository,
)
from clinic_tui.offline_cache.store import read_resource, upsert_resources
from clinic_tui.offline_cache.tables import EncounterRow, OutboxEntry
from tests.factories import CLINIC_ID, QUEUE_NOW, queue_day

NOW = QUEUE_NOW


@pytest.fixture
def repo(engine: Engine) -> QueueRepository:
    """A repository over this morning's queue at the township clinic."""
    with engine.begin() as connection:
        upsert_resources(connection, queue_day())
    return QueueRepository(engine, Clinic(id=CLINIC_ID, name="青山镇卫生院"))


def outbox(engine: Engine) -> list[dict[str, Any]]:
    table = OutboxEntry.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(table)).mappings()]


def encounter_json(engine: Engine, ident: str) -> dict[str, Any] | None:
    with engine.connect() as connection:
        return read_resource(connection, "Encounter", ident)


def test_today_lists_this_clinics_registrations_of_the_day_by_number(repo: QueueRepository) -> None:
    entries = repo.today(NOW.date())
    assert [entry.number for entry in entries] == [1, 2, 3, 4, 5, 6]
    first = entries[1]
    assert (first.patient_name, first.gender, first.priority) == (
        "欧阳秀英",
        Gender.FEMALE,
        Priority.URGENT,
    )
    assert first.birth_date == date(1990, 8, 30)
    assert entries[0].status is QueueStatus.DONE
    assert entries[3].status is QueueStatus.IN_CONSULTATION
    assert not any(entry.pending for entry in entries)
    assert repo.today(NOW.date() - timedelta(days=1))[0].encounter_id == "e-old"


def test_queue_query_uses_the_queue_index(engine: Engine, repo: QueueRepository) -> None:
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM encounter"
            " WHERE organization_id = ? AND queue_date = ?",
            (CLINIC_ID, "2026-11-24"),
        ).all()
    assert "ix_encounter_queue" in " ".join(str(row) for row in plan)


def test_call_next_takes_the_emergency_first_then_the_longest_wait(
    engine: Engine, repo: QueueRepository
) -> None:
    called = [repo.call_next(NOW + timedelta(minutes=i)) for i in range(5)]
    assert [entry.number if entry else None for entry in called] == [5, 2, 3, 6, None]
    assert called[0] is not None
    assert called[0].status is QueueStatus.IN_CONSULTATION
    assert called[0].pending
    resource = encounter_json(engine, "e-5")
    assert resource is not None
    assert resource["status"] == "in-progress"
    assert resource["statusHistory"][-1]["status"] == "arrived"
    assert resource["extension"][0]["valueString"] == "keep me"  # unknown fields survive
    updates = [row for row in outbox(engine) if row["resource_id"] == "e-5"]
    assert [(row["operation"], row["base_version"]) for row in updates] == [("update", "1")]


def test_done_sets_period_end_and_stops_the_wait(engine: Engine, repo: QueueRepository) -> None:
    later = NOW + timedelta(minutes=20)
    repo.set_status("e-3", QueueStatus.IN_CONSULTATION, NOW)
    repo.set_status("e-3", QueueStatus.DONE, later)
    resource = encounter_json(engine, "e-3")
    assert resource is not None
    assert resource["status"] == "finished"
    assert resource["period"]["end"] == later.isoformat()
    entry = repo.entry("e-3", NOW.date())
    assert entry is not None
    assert entry.waited_until == NOW


def test_left_requires_a_reason_and_keeps_it(engine: Engine, repo: QueueRepository) -> None:
    with pytest.raises(ValueError, match="reason"):
        repo.set_status("e-2", QueueStatus.LEFT, NOW, reason="  ")
    assert outbox(engine) == []
    repo.set_status("e-2", QueueStatus.LEFT, NOW, reason="等不及了")
    resource = encounter_json(engine, "e-2")
    assert resource is not None
    assert resource["status"] == "cancelled"
    assert {"url": LEFT_REASON_URL, "valueString": "等不及了"} in resource["extension"]
    assert QueueStatus.LEFT is repo.today(NOW.date())[1].status


def test_setting_the_same_status_changes_nothing(engine: Engine, repo: QueueRepository) -> None:
    assert repo.set_status("e-4", QueueStatus.IN_CONSULTATION, NOW) is None
    assert outbox(engine) == []
    assert not repo.can_undo


def test_undo_a_status_change_writes_the_previous_state_back(
    engine: Engine, repo: QueueRepository
) -> None:
    before = encounter_json(engine, "e-2")
    repo.set_status("e-2", QueueStatus.LEFT, NOW, reason="went home")
    token = repo.undo_last(NOW)
    assert token is not None
    assert token.action == "status"
    after = encounter_json(engine, "e-2")
    assert after == before
    # Back to what the server has, nothing sent yet: nothing is left to upload.
    assert outbox(engine) == []
    assert repo.today(NOW.date())[1].status is QueueStatus.WAITING
    assert not repo.today(NOW.date())[1].pending
    assert repo.undo_last(NOW) is None


def test_status_changes_and_undos_on_one_visit_leave_nothing_when_nothing_changed(
    engine: Engine, repo: QueueRepository
) -> None:
    # n, u, s -> Done, u, s -> Done, u: the clinician changed nothing in the end.
    for status in (QueueStatus.IN_CONSULTATION, QueueStatus.DONE, QueueStatus.DONE):
        repo.set_status("e-2", status, NOW)
        assert len(outbox(engine)) == 1  # one record, one entry, however many changes
        assert repo.undo_last(NOW) is not None
    assert outbox(engine) == []
    assert ClinicCache(engine).pending_changes() == 0


def test_several_changes_to_one_visit_travel_as_one_entry(
    engine: Engine, repo: QueueRepository
) -> None:
    repo.set_status("e-2", QueueStatus.IN_CONSULTATION, NOW)
    repo.set_status("e-2", QueueStatus.DONE, NOW)
    repo.set_status("e-3", QueueStatus.IN_CONSULTATION, NOW)

    assert [row["resource_id"] for row in outbox(engine)] == ["e-2", "e-3"]
    assert ClinicCache(engine).pending_changes() == 2


def test_walk_in_of_an_existing_patient(engine: Engine, repo: QueueRepository) -> None:
    entry = repo.register_walk_in("p-li", "  血压复查 ", Priority.URGENT, NOW)
    assert (entry.number, entry.patient_name, entry.chief_complaint) == (7, "李娜", "血压复查")
    assert entry.status is QueueStatus.WAITING
    assert entry.pending
    resource = encounter_json(engine, entry.encounter_id)
    assert resource is not None
    assert resource["class"]["code"] == "AMB"
    assert resource["subject"]["reference"] == "Patient/p-li"
    assert resource["serviceProvider"]["reference"] == f"Organization/{CLINIC_ID}"
    assert resource["priority"]["coding"][0]["code"] == "UR"
    assert resource["period"]["start"] == NOW.isoformat()
    assert [(row["resource_type"], row["operation"]) for row in outbox(engine)] == [
        ("Encounter", "create")
    ]


def test_walk_in_of_a_new_patient_writes_both_in_one_go(
    engine: Engine, repo: QueueRepository
) -> None:
    number = make("330106", date(1972, 6, 1), 22)
    new = NewPatient("欧阳明华", Gender.FEMALE, date(1972, 6, 1), number, "13912345678")
    entry = repo.register_walk_in(new, "胸闷", Priority.EMERGENCY, NOW)
    with engine.connect() as connection:
        patient = read_resource(connection, "Patient", entry.patient_id)
    assert patient is not None
    assert patient["name"][0]["family"] == "欧阳"
    assert patient["name"][0]["given"] == ["明华"]
    assert patient["identifier"] == [{"system": IDENTIFIER_SYSTEM, "value": number}]
    assert patient["telecom"][0]["value"] == "13912345678"
    assert patient["managingOrganization"]["reference"] == f"Organization/{CLINIC_ID}"
    assert entry.patient_name == "欧阳明华"
    assert sorted((row["resource_type"], row["operation"]) for row in outbox(engine)) == [
        ("Encounter", "create"),
        ("Patient", "create"),
    ]


def test_walk_in_failing_midway_saves_nothing(engine: Engine, repo: QueueRepository) -> None:
    with pytest.raises(LookupError):
        repo.register_walk_in("p-nobody", "咳嗽", Priority.ROUTINE, NOW)
    with pytest.raises(ValueError, match="complaint"):
        repo.register_walk_in(
            NewPatient("赵六", Gender.MALE, date(1990, 1, 1)), " ", Priority.ROUTINE, NOW
        )
    assert outbox(engine) == []
    assert len(repo.today(NOW.date())) == 6


def test_undo_an_unsynced_walk_in_removes_it_and_its_outbox_entries(
    engine: Engine, repo: QueueRepository
) -> None:
    new = NewPatient("赵六", Gender.MALE, date(1990, 1, 1))
    entry = repo.register_walk_in(new, "咳嗽", Priority.ROUTINE, NOW)
    repo.set_status(entry.encounter_id, QueueStatus.IN_CONSULTATION, NOW)
    repo.undo_last(NOW)
    token = repo.undo_last(NOW)
    assert token is not None
    assert token.action == "walk-in"
    assert outbox(engine) == []
    with engine.connect() as connection:
        assert read_resource(connection, "Patient", entry.patient_id) is None
        assert read_resource(connection, "Encounter", entry.encounter_id) is None
    assert len(repo.today(NOW.date())) == 6


def test_undo_a_synced_walk_in_marks_it_entered_in_error(
    engine: Engine, repo: QueueRepository
) -> None:
    entry = repo.register_walk_in("p-li", "咳嗽", Priority.ROUTINE, NOW)
    # What a sync does once the server accepted the create: the outbox entry goes, meta arrives.
    resource = encounter_json(engine, entry.encounter_id)
    assert resource is not None
    resource["meta"] = {"versionId": "1", "lastUpdated": NOW.isoformat()}
    table = OutboxEntry.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(table.delete())
        upsert_resources(connection, [resource])
    repo.undo_last(NOW)
    after = encounter_json(engine, entry.encounter_id)
    assert after is not None
    assert after["status"] == "entered-in-error"
    assert [(row["operation"], row["base_version"]) for row in outbox(engine)] == [("update", "1")]
    assert entry.encounter_id not in {e.encounter_id for e in repo.today(NOW.date())}
    # The number is never given again.
    assert repo.register_walk_in("p-li", "咳嗽", Priority.ROUTINE, NOW).number == 8


def test_rows_written_are_indexed_from_the_json(engine: Engine, repo: QueueRepository) -> None:
    entry = repo.register_walk_in("p-li", "咳嗽", Priority.ROUTINE, NOW)
    table = EncounterRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        row = connection.execute(select(table).where(table.c.id == entry.encounter_id)).one()
    assert (row.queue_date, row.queue_number, row.organization_id) == ("2026-11-24", 7, CLINIC_ID)
    assert json.loads(row.resource_json)["reasonCode"][0]["text"] == "咳嗽"


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [
        ("张三", "张", ["三"]),
        ("欧阳明华", "欧阳", ["明华"]),
        ("司马 光", "司马", ["光"]),
        ("诸葛", "诸", ["葛"]),
        ("John Smith", "Smith", ["John"]),
        ("Madonna", "Madonna", []),
    ],
)
def test_split_name(name: str, family: str, given: list[str]) -> None:
    assert split_name(name) == (family, given)


ZHANG_ID = make("110105", date(1965, 4, 12), 11)
"""p-zhang's identity number in queue_day()."""


def test_a_new_patient_with_an_identity_number_on_file_is_refused(
    engine: Engine, repo: QueueRepository
) -> None:
    twin = NewPatient("张卫", Gender.MALE, date(1965, 4, 12), ZHANG_ID.lower())
    with pytest.raises(PossibleDuplicateError) as refused:
        repo.register_walk_in(twin, "咳嗽", Priority.ROUTINE, NOW)
    assert [(m.patient.id, m.on) for m in refused.value.matches] == [
        ("p-zhang", MatchedOn.IDENTIFIER)
    ]
    assert outbox(engine) == []


@pytest.mark.parametrize(
    ("name", "birth", "phone", "on"),
    [
        ("欧阳秀英", date(1991, 1, 1), "13800138000", MatchedOn.NAME_AND_PHONE),
        ("陈建国", date(1979, 12, 12), None, MatchedOn.NAME_AND_BIRTH_DATE),
    ],
)
def test_a_new_patient_matching_name_and_phone_or_birth_date_is_refused(
    repo: QueueRepository, name: str, birth: date, phone: str | None, on: MatchedOn
) -> None:
    with pytest.raises(PossibleDuplicateError) as refused:
        repo.register_walk_in(
            NewPatient(name, Gender.FEMALE, birth, phone=phone), "咳嗽", Priority.ROUTINE, NOW
        )
    assert refused.value.matches[0].on is on


def test_a_recorded_decision_lets_the_second_record_through_and_is_kept(
    engine: Engine, repo: QueueRepository
) -> None:
    decision = DuplicateDecision(
        matched=(("p-zhang", "张伟"),),
        on=MatchedOn.IDENTIFIER,
        reason="身份证号登记错误，已核对户口本",
        decided=NOW,
    )
    twin = NewPatient("张卫", Gender.MALE, date(1965, 4, 12), ZHANG_ID, duplicate_decision=decision)
    entry = repo.register_walk_in(twin, "咳嗽", Priority.ROUTINE, NOW)
    with engine.connect() as connection:
        patient = read_resource(connection, "Patient", entry.patient_id)
    assert patient is not None
    assert patient["extension"] == [
        {
            "url": DUPLICATE_DECISION_URL,
            "extension": [
                {"url": "matched", "valueReference": {"reference": "Patient/p-zhang",
                                                      "display": "张伟"}},
                {"url": "on", "valueCode": "identifier"},
                {"url": "reason", "valueString": "身份证号登记错误，已核对户口本"},
                {"url": "decided", "valueDateTime": NOW.isoformat()},
            ],
        }
    ]  # fmt: skip


def test_someone_already_waiting_is_registered_again_only_when_confirmed(
    engine: Engine, repo: QueueRepository
) -> None:
    with pytest.raises(AlreadyInQueueError) as refused:
        repo.register_walk_in("p-chen", "复查", Priority.ROUTINE, NOW)
    assert refused.value.entry.number == 3
    assert "already in today's queue as 3" in str(refused.value)
    assert outbox(engine) == []
    again = repo.register_walk_in("p-chen", "复查", Priority.ROUTINE, NOW, again=True)
    resource = encounter_json(engine, again.encounter_id)
    assert resource is not None
    assert resource["extension"] == [
        {"url": REGISTERED_AGAIN_URL, "valueReference": {"reference": "Encounter/e-3",
                                                         "display": "3"}}
    ]  # fmt: skip
    # In consultation counts too (#4 p-zhang); done (#1 p-li) does not.
    with pytest.raises(AlreadyInQueueError):
        repo.register_walk_in("p-zhang", "复查", Priority.ROUTINE, NOW)
    assert repo.register_walk_in("p-li", "复查", Priority.ROUTINE, NOW).number == 8


def test_more_details_of_a_new_patient_map_onto_fhir(engine: Engine, repo: QueueRepository) -> None:
    child = NewPatient(
        "王小雨",
        Gender.FEMALE,
        date(2020, 5, 1),
        phone="07318888888",
        phone_is_mobile=False,
        address="湖南省长沙县青山镇团结村3组",
        insurance_number="H43012400012345",
        guardian=Contact("王芳", Relationship.MOTHER, "13912345678"),
        emergency_contact=Contact("王强", Relationship.OTHER, "01012345678", phone_is_mobile=False),
    )
    entry = repo.register_walk_in(child, "发热", Priority.URGENT, NOW)
    with engine.connect() as connection:
        patient = read_resource(connection, "Patient", entry.patient_id)
    assert patient is not None
    assert patient["telecom"] == [{"system": "phone", "value": "07318888888", "use": "home"}]
    assert patient["address"] == [{"use": "home", "text": "湖南省长沙县青山镇团结村3组"}]
    insurance = patient["identifier"][0]
    assert (insurance["system"], insurance["value"]) == (INSURANCE_SYSTEM, "H43012400012345")
    assert insurance["type"]["coding"][0]["code"] == "SN"
    guardian, emergency = patient["contact"]
    assert guardian["name"] == {"text": "王芳"}
    assert guardian["relationship"][0]["coding"][0] == {"system": CONTACT_ROLE_SYSTEM, "code": "N"}
    assert guardian["relationship"][1]["coding"][0]["code"] == "MTH"
    assert guardian["telecom"] == [{"system": "phone", "value": "13912345678", "use": "mobile"}]
    assert emergency["relationship"] == [{"coding": [{"system": CONTACT_ROLE_SYSTEM, "code": "C"}]}]
    assert emergency["telecom"][0]["use"] == "home"
