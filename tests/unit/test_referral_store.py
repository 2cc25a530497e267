"""Referral actions: each one a local write with its outbox entry, checked by the state machine."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.models import Clinic
from clinic_tui.domain.referral_workflow import IllegalTransition
from clinic_tui.offline_cache.store import read_resource, upsert_resources
from clinic_tui.referral import fhir_shapes as shapes
from clinic_tui.referral.model import Coded, FollowUpPlan, ReferralDraft
from clinic_tui.referral.store import ReferralError, ReferralStore
from tests.ui.chart_fixtures import NOW, TODAY, fill_cache

TOWN = Clinic("org-town", "青山镇卫生院")
COUNTY = Clinic("org-county", "青山县人民医院")
CARDIOLOGY = Coded(shapes.SNOMED, "394579002", "Cardiology")


def _departments(engine: Engine) -> None:
    hospital = {"resourceType": "Organization", "id": "org-county", "name": "青山县人民医院"}
    with engine.begin() as connection:
        upsert_resources(
            connection,
            [
                shapes.department_organization("dept-cardio", hospital, "心内科", CARDIOLOGY),
                shapes.department_organization("dept-endo", hospital, "内分泌科"),
            ],
        )


@pytest.fixture
def cache(engine: Engine) -> Engine:
    """The chart fixtures (p-allergic, the township and county) and two county departments."""
    fill_cache(engine)
    _departments(engine)
    return engine


def _town(engine: Engine) -> ReferralStore:
    return ReferralStore(engine, TOWN, "pr-town")


def _county(engine: Engine) -> ReferralStore:
    return ReferralStore(engine, COUNTY, "pr-county")


DRAFT = ReferralDraft(
    hospital_id="org-county",
    department_id="dept-cardio",
    category="referral",
    priority="urgent",
    specialty=CARDIOLOGY,
    reason=Coded("http://hl7.org/fhir/sid/icd-10", "I10", "Essential hypertension"),
    reason_text="原发性高血压 血压控制不佳",
    summary="Problems: I10\nAllergies: penicillin",
    supporting=("Condition/c-1", "AllergyIntolerance/a-2"),
    encounter_id="e-1",
)


def _outbox(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT resource_type, operation FROM outbox ORDER BY seq"))
        return [(str(t), str(o)) for t, o in rows]


def _read(engine: Engine, kind: str, ident: str) -> dict[str, Any]:
    with engine.connect() as connection:
        found = read_resource(connection, kind, ident)
    assert found is not None
    return found


def test_refer_writes_the_request_and_its_task_with_their_outbox_entries(cache: Engine) -> None:
    before = len(_outbox(cache))
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    assert _outbox(cache)[before:] == [("ServiceRequest", "create"), ("Task", "create")]
    task = _read(cache, "Task", task_id)
    request = _read(cache, "ServiceRequest", task["focus"]["reference"].split("/")[1])
    assert task["status"] == "requested"
    assert task["intent"] == "order"
    assert task["owner"]["reference"] == "Organization/org-county"
    assert task["requester"]["reference"] == "Organization/org-town"
    assert task["for"] == {"reference": "Patient/p-allergic", "display": "张伟"}
    assert request["category"][0]["coding"][1] == {
        "system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"
    }  # fmt: skip
    assert request["priority"] == "urgent"
    assert request["reasonCode"][0]["coding"][0]["code"] == "I10"
    assert [p["reference"] for p in request["performer"]] == [
        "Organization/org-county",
        "Organization/dept-cardio",
    ]
    assert request["performerType"]["coding"][0]["code"] == "394579002"
    assert request["supportingInfo"] == [
        {"reference": "Condition/c-1"},
        {"reference": "AllergyIntolerance/a-2"},
    ]
    assert request["note"][0]["text"].startswith("Problems: I10")
    items = _town(cache).referrals_for_patient("p-allergic")
    assert [(i.status, i.priority, i.department_name, i.pending) for i in items] == [
        ("requested", "urgent", "心内科", True)
    ]
    assert items[0].owner_name == "青山县人民医院"


def test_the_hospital_receives_accepts_and_completes_with_a_follow_up(cache: Engine) -> None:
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    county = _county(cache)
    county.receive(task_id, NOW)
    county.accept(task_id, NOW, appointment=TODAY + timedelta(days=2))
    accepted = _read(cache, "Task", task_id)
    assert accepted["status"] == "accepted"
    assert accepted["restriction"]["period"]["start"] == (TODAY + timedelta(days=2)).isoformat()
    assert accepted["businessStatus"]["coding"][0]["code"] == "appointment-booked"
    county.start(task_id, NOW)
    due = TODAY + timedelta(days=14)
    follow_up_id = county.complete(
        task_id, "氨氯地平加量至10mg", NOW, FollowUpPlan(due, "复测血压")
    )
    assert follow_up_id is not None
    done = _read(cache, "Task", task_id)
    assert done["status"] == "completed"
    assert shapes.advice_of(done) == "氨氯地平加量至10mg"
    assert shapes.follow_up_id_of(done) == follow_up_id
    follow_up = _read(cache, "Task", follow_up_id)
    assert follow_up["owner"]["reference"] == "Organization/org-town"
    assert follow_up["restriction"]["period"]["end"] == due.isoformat()
    town = _town(cache)
    assert town.follow_ups_due(due - timedelta(days=1)) == []
    [item] = town.follow_ups_due(due)
    assert (item.patient_name, item.plan, item.from_name) == ("张伟", "复测血压", "青山县人民医院")
    assert town.follow_ups_due(due + timedelta(days=3))  # overdue stays on the queue
    town.follow_up_done(follow_up_id, NOW)
    assert town.follow_ups_due(due + timedelta(days=3)) == []
    detail = town.detail(task_id)
    assert detail is not None
    assert detail.follow_up is not None
    assert detail.advice == "氨氯地平加量至10mg"


def test_a_declined_referral_cannot_be_accepted_and_nothing_is_written(cache: Engine) -> None:
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    county = _county(cache)
    county.decline(task_id, "manage-locally", "先调整用药两周", NOW)
    declined = _read(cache, "Task", task_id)
    assert declined["statusReason"]["coding"][0]["code"] == "manage-locally"
    assert declined["statusReason"]["text"] == "先调整用药两周"
    before = _outbox(cache), _read(cache, "Task", task_id)
    with pytest.raises(IllegalTransition, match="a declined referral cannot be accepted; 已拒绝"):
        county.accept(task_id, NOW)
    assert (_outbox(cache), _read(cache, "Task", task_id)) == before
    [item] = county.referrals_of_clinic("received")
    assert item.status_reason == "Can be managed at the township: 先调整用药两周"


def test_only_the_owner_triages_and_only_the_sender_cancels(cache: Engine) -> None:
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    with pytest.raises(ReferralError, match="only the hospital"):
        _town(cache).accept(task_id, NOW)
    with pytest.raises(ReferralError, match="only the clinic that sent"):
        _county(cache).cancel(task_id, "", NOW)
    _town(cache).cancel(task_id, "patient went elsewhere", NOW)
    assert _read(cache, "Task", task_id)["status"] == "cancelled"


def test_questions_and_answers_make_a_thread_without_moving_the_task(cache: Engine) -> None:
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    county = _county(cache)
    question = county.ask(task_id, "最近一次心电图结果？", NOW)
    answer = _town(cache).answer(task_id, "窦性心律，无ST改变", NOW + timedelta(minutes=5))
    assert _read(cache, "Task", task_id)["status"] == "requested"
    message = _read(cache, "Communication", answer)
    assert message["inResponseTo"] == [{"reference": f"Communication/{question}"}]
    assert message["sender"]["reference"] == "Organization/org-town"
    assert message["recipient"] == [{"reference": "Organization/org-county"}]
    assert {a["reference"].split("/")[0] for a in message["about"]} == {"ServiceRequest", "Task"}
    thread = _town(cache).thread(task_id)
    assert [(m.kind, m.text, m.from_here, m.pending) for m in thread] == [
        ("question", "最近一次心电图结果？", False, True),
        ("answer", "窦性心律，无ST改变", True, True),
    ]
    assert thread[0].sender_name == "青山县人民医院"
    with pytest.raises(ReferralError, match="write the message"):
        county.ask(task_id, "   ", NOW)
    county.decline(task_id, "other", "", NOW)
    with pytest.raises(IllegalTransition, match="a declined referral cannot be asked about"):
        county.ask(task_id, "还在吗", NOW)


def test_forward_to_another_department_waits_there_as_requested(cache: Engine) -> None:
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    county = _county(cache)
    county.receive(task_id, NOW)
    county.forward(task_id, "dept-endo", None, NOW)
    task = _read(cache, "Task", task_id)
    assert task["status"] == "requested"
    assert task["owner"]["reference"] == "Organization/org-county"
    assert shapes.extension_reference(task, shapes.DEPARTMENT_EXTENSION, "Organization") == (
        "dept-endo"
    )
    assert "performerType" not in task
    [item] = county.referrals_of_clinic("received")
    assert (item.department_name, item.business_status) == ("内分泌科", "Forwarded")


def test_refusals_name_what_is_wrong(cache: Engine) -> None:
    town = _town(cache)
    with pytest.raises(ReferralError, match="choose a hospital"):
        town.refer("p-allergic", ReferralDraft(hospital_id="org-nowhere"), NOW)
    with pytest.raises(ReferralError, match="cannot refer to itself"):
        town.refer("p-allergic", ReferralDraft(hospital_id="org-town"), NOW)
    with pytest.raises(ReferralError, match="unknown urgency"):
        town.refer("p-allergic", ReferralDraft(hospital_id="org-county", priority="soon"), NOW)
    task_id = town.refer("p-allergic", DRAFT, NOW)
    with pytest.raises(ReferralError, match="appointment date has passed"):
        _county(cache).accept(task_id, NOW, appointment=TODAY - timedelta(days=1))
    with pytest.raises(ReferralError, match="choose a reason"):
        _county(cache).decline(task_id, "bored", "", NOW)
    with pytest.raises(ReferralError, match="not in the cache"):
        _county(cache).receive("no-such-task", NOW)


def test_hospitals_and_departments_come_from_the_organizations(cache: Engine) -> None:
    town = _town(cache)
    assert town.hospitals() == [("org-county", "青山县人民医院")]
    assert [(i, n, s.code if s else None) for i, n, s in town.departments("org-county")] == [
        ("dept-endo", "内分泌科", None),
        ("dept-cardio", "心内科", "394579002"),
    ]


def test_task_columns_index_what_lists_query(cache: Engine) -> None:
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    with cache.connect() as connection:
        row = connection.execute(
            text("SELECT kind, priority, department_org, specialty FROM task WHERE id = :i"),
            {"i": task_id},
        ).one()
    assert tuple(row) == ("referral", "urgent", "dept-cardio", "394579002")
    resource = _read(cache, "Task", task_id)
    assert json.loads(json.dumps(resource)) == resource
    assert date.fromisoformat(resource["authoredOn"][:10]) == TODAY


def test_tasks_cached_before_the_referral_schema_get_their_columns_on_upgrade(
    cache_file: Any,
) -> None:
    import sqlite3

    from clinic_tui.offline_cache.engine import open_cache
    from clinic_tui.offline_cache.migrations import migrate

    follow_up = {
        "resourceType": "Task",
        "id": "t-1",
        "status": "requested",
        "intent": "plan",
        "code": {"coding": [{"system": "urn:clinic-tui:task-kind", "code": "follow-up"}]},
        "owner": {"reference": "Organization/org-town"},
        "restriction": {"period": {"end": "2026-12-08"}},
        "partOf": [{"reference": "Task/t-0"}],
    }
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(cache_file, isolation_level=None)
    migrate(connection, target=10)  # the schema before referrals
    connection.execute(
        "INSERT INTO task (id, resource_json, status, owner_org) VALUES (?, ?, ?, ?)",
        ("t-1", json.dumps(follow_up), "requested", "org-town"),
    )
    connection.close()
    engine = open_cache(cache_file)
    with engine.connect() as upgraded:
        row = upgraded.execute(text("SELECT kind, due_date, part_of FROM task")).one()
    engine.dispose()
    assert tuple(row) == ("follow-up", "2026-12-08", "t-0")


def _as_if_synced(engine: Engine, task_id: str) -> None:
    """The Task as a hospital's cache holds it after a download: no local change waiting."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE task SET pending = 0 WHERE id = :id"), {"id": task_id})


def test_referrals_that_arrived_by_sync_are_received_once(cache: Engine) -> None:
    arrived = _town(cache).refer("p-allergic", DRAFT, NOW)
    _as_if_synced(cache, arrived)
    still_local = _town(cache).refer("p-allergic", DRAFT, NOW)  # not downloaded: pending
    county = _county(cache)

    assert county.receive_arrived(NOW) == 1
    assert _read(cache, "Task", arrived)["status"] == "received"
    assert _read(cache, "Task", still_local)["status"] == "requested"
    with cache.connect() as connection:
        pending = connection.execute(
            text("SELECT pending FROM task WHERE id = :id"), {"id": arrived}
        )
        assert pending.scalar_one()  # the next upload tells the township
    assert county.receive_arrived(NOW) == 0  # nothing twice


def test_a_clinic_receives_only_the_referrals_it_owns(cache: Engine) -> None:
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    _as_if_synced(cache, task_id)
    assert _town(cache).receive_arrived(NOW) == 0  # the sender is not the hospital
    assert _read(cache, "Task", task_id)["status"] == "requested"


def _messages_synced(engine: Engine) -> None:
    """Every message as a cache holds it once synced (no local change waiting)."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE communication SET pending = 0"))


def test_a_message_from_the_other_side_is_new_until_the_thread_is_opened(cache: Engine) -> None:
    town, county = _town(cache), _county(cache)
    task_id = town.refer("p-allergic", DRAFT, NOW)
    county.ask(task_id, "最近一次心电图？", NOW)
    _messages_synced(cache)
    [sent] = town.referrals_for_patient("p-allergic")
    assert sent.unread == 1  # the hospital's question, not yet read here
    assert county.item(task_id) is not None
    assert county.item(task_id).unread == 0  # type: ignore[union-attr]  # its own question

    town.mark_thread_seen(task_id)
    assert town.referrals_for_patient("p-allergic")[0].unread == 0
    town.answer(task_id, "窦性心律", NOW)  # this side's answer is never new to this side
    county.ask(task_id, "血压多少？", NOW)
    assert town.referrals_for_patient("p-allergic")[0].unread == 0  # still on its way
    _messages_synced(cache)
    assert town.referrals_for_patient("p-allergic")[0].unread == 1


def test_the_inbox_marks_a_township_answer_until_the_expert_opens_it(cache: Engine) -> None:
    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.referral.inbox import read_inbox
    from clinic_tui.referral.thread_seen import mark_seen_sqlite

    town = _town(cache)
    task_id = town.refer("p-allergic", DRAFT, NOW)
    town.ask(task_id, "请尽快安排", NOW)
    _messages_synced(cache)
    with connect(Path(str(cache.url.database))) as connection:
        [row] = [r for r in read_inbox(connection, COUNTY.id) if r.task_id == task_id]
        assert row.unread == 1
        mark_seen_sqlite(connection, task_id, COUNTY.id)
        [row] = [r for r in read_inbox(connection, COUNTY.id) if r.task_id == task_id]
        assert row.unread == 0


@pytest.mark.parametrize("session", ["en", "zh"])
def test_the_summary_reads_in_chinese_at_the_hospital_whatever_the_township_s_language(
    cache: Engine, session: str
) -> None:
    from clinic_tui.i18n import language, set_language

    before = language()
    set_language(session)
    try:
        summary = _town(cache).form_data("p-allergic", TODAY).summary
    finally:
        set_language(before)
    first, problems, allergies = summary.splitlines()[:3]
    assert first.startswith("患者: " if session == "zh" else "Patient 患者: ")
    assert problems.startswith(
        "诊断 / 问题列表: " if session == "zh" else "Problems 诊断 / 问题列表: "
    )
    assert allergies.startswith("过敏史: " if session == "zh" else "Allergies 过敏史: ")
    if session == "zh":
        assert "Patient" not in summary
        assert "Problems" not in summary


def test_the_queue_s_count_of_referrals_with_new_messages_agrees_with_the_store(
    cache: Engine,
) -> None:
    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.referral.thread_seen import count_unread_referrals

    town, county = _town(cache), _county(cache)
    asked = [town.refer("p-allergic", DRAFT, NOW) for _ in range(3)]
    county.ask(asked[0], "最近一次心电图？", NOW)
    county.ask(asked[1], "血压多少？", NOW)
    town.ask(asked[2], "请尽快安排", NOW)  # this side's own message: never new here
    _messages_synced(cache)

    def counted() -> int:
        with connect(Path(str(cache.url.database))) as connection:
            return count_unread_referrals(connection, TOWN.id)

    store = sum(1 for item in town.referrals_of_clinic("all") if item.unread)
    assert counted() == store == 2
    town.mark_thread_seen(asked[0])
    assert counted() == 1
