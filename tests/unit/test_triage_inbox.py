"""The triage inbox's read model: one indexed query, sorted by urgency then wait, filters, SLA."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clinic_tui.offline_cache.cache_file import connect
from clinic_tui.referral.inbox import (
    INBOX_SQL,
    InboxFilter,
    InboxRow,
    is_hospital,
    read_departments,
    read_inbox,
    read_preview,
    resolve_hospital,
)
from tests.ui.chart_fixtures import NOW
from tests.unit.test_referral_store import DRAFT, _county, _town
from tests.unit.test_referral_store import cache as cache

LIMIT = timedelta(hours=4)


def _inbox(engine: Engine) -> list[InboxRow]:
    with connect(_path(engine)) as connection:
        return read_inbox(connection, "org-county")


def _path(engine: Engine) -> Path:
    return Path(str(engine.url.database))


def _refer(engine: Engine, hours_ago: float, priority: str, department: str = "dept-cardio") -> str:
    draft = replace(DRAFT, priority=priority, department_id=department, reason_text=priority)
    return _town(engine).refer("p-allergic", draft, NOW - timedelta(hours=hours_ago))


def test_sorted_by_urgency_then_the_longest_wait(cache: Engine) -> None:
    routine_old = _refer(cache, 30, "routine")
    urgent_new = _refer(cache, 1, "urgent")
    stat = _refer(cache, 0.5, "stat")
    urgent_old = _refer(cache, 6, "urgent")
    asap = _refer(cache, 2, "asap")
    rows = _inbox(cache)
    assert [row.task_id for row in rows] == [stat, asap, urgent_old, urgent_new, routine_old]
    first = rows[2]
    assert (first.patient_name, first.from_name, first.department, first.status) == (
        "张伟",
        "青山镇卫生院",
        "心内科",
        "requested",
    )
    assert first.waiting(NOW) == timedelta(hours=6)


def test_department_follows_a_forward(cache: Engine) -> None:
    task = _refer(cache, 1, "routine")
    assert [row.department for row in _inbox(cache)] == ["心内科"]
    _county(cache).forward(task, "dept-endo", None, NOW)
    assert [row.department for row in _inbox(cache)] == ["内分泌科"]


def test_sla_marks_only_undecided_urgent_referrals_past_the_limit(cache: Engine) -> None:
    late = _refer(cache, 6, "urgent")
    _refer(cache, 3, "urgent")
    _refer(cache, 30, "routine")
    accepted = _refer(cache, 9, "stat")
    _county(cache).accept(accepted, NOW, teleconsultation=True)
    over = {row.task_id: row.sla_over(NOW, LIMIT) for row in _inbox(cache)}
    assert {task: span for task, span in over.items() if span is not None} == {
        late: timedelta(hours=2)
    }


def test_filters_narrow_the_rows_in_memory(cache: Engine) -> None:
    urgent = _refer(cache, 6, "urgent")
    routine = _refer(cache, 30, "routine", "dept-endo")
    declined = _refer(cache, 2, "urgent")
    _county(cache).decline(declined, "duplicate", "", NOW)
    rows = _inbox(cache)

    def ids(chosen: InboxFilter) -> list[str]:
        return [row.task_id for row in chosen.apply(rows, NOW)]

    assert ids(InboxFilter()) == [urgent, routine]  # awaiting triage: not the declined one
    assert ids(InboxFilter(statuses=frozenset())) == [urgent, declined, routine]
    assert ids(InboxFilter(statuses=frozenset({"rejected"}))) == [declined]
    assert ids(InboxFilter(urgency="routine")) == [routine]
    assert ids(InboxFilter(department="内分泌科")) == [routine]
    assert ids(InboxFilter(waiting_longer_than=timedelta(hours=12))) == [routine]
    assert ids(InboxFilter(text="ROUTINE")) == [routine]  # the reason, any case
    assert ids(InboxFilter(text="张伟 内分泌")) == [routine]  # every word must match
    assert ids(InboxFilter(text="nobody")) == []


def test_the_inbox_is_one_query_through_the_task_owner_index(cache: Engine) -> None:
    _refer(cache, 1, "urgent")
    with connect(_path(cache)) as connection:
        plan = connection.execute(
            f"EXPLAIN QUERY PLAN {INBOX_SQL}", {"hospital": "org-county"}
        ).fetchall()
    steps = " | ".join(str(row["detail"]) for row in plan)
    assert "ix_task_owner_status" in steps, steps
    assert "SCAN t " not in steps + " ", steps  # never every Task of the cache


def test_the_hospital_and_its_departments(cache: Engine) -> None:
    with connect(_path(cache)) as connection:
        assert is_hospital(connection, "org-county")
        assert not is_hospital(connection, "org-town")
        # A township's expert role opens the hospital the township belongs to, or the first.
        assert resolve_hospital(connection, "org-town") == "org-county"
        assert resolve_hospital(connection, "org-county") == "org-county"
        assert [d.name for d in read_departments(connection, "org-county")] == [
            "内分泌科",
            "心内科",
        ]


def test_the_preview_carries_the_summary_the_township_wrote(cache: Engine) -> None:
    task = _refer(cache, 1, "urgent")
    with connect(_path(cache)) as connection:
        preview = read_preview(connection, task)
        assert read_preview(connection, "no-such-task") is None
    assert preview is not None
    assert preview.reason == "urgent"
    assert preview.summary.startswith("Problems: I10")
    assert preview.decision == ""


@pytest.mark.parametrize("hours", [0, 3.99])
def test_no_sla_mark_within_the_limit(cache: Engine, hours: float) -> None:
    _refer(cache, hours, "stat")
    assert [row.sla_over(NOW, LIMIT) for row in _inbox(cache)] == [None]


def test_a_patient_not_in_the_hospitals_cache_keeps_the_name_the_referral_carries(
    cache: Engine,
) -> None:
    _refer(cache, 1, "urgent")
    with cache.begin() as connection:
        connection.exec_driver_sql("DELETE FROM patient")
    [row] = _inbox(cache)
    assert (row.patient_name, row.gender, row.birth_date) == ("张伟", "unknown", None)


def test_an_answer_in_the_same_second_as_its_question_follows_it(cache: Engine) -> None:
    # Messages are stamped to the second; the thread used to order a tie by id, and ids are
    # random: here the answer's id sorts first, as it would half the time.
    from clinic_tui.referral.store import ReferralStore
    from tests.unit.test_referral_store import COUNTY, TOWN

    task = _refer(cache, 1, "urgent")
    county = ReferralStore(cache, COUNTY, "pr-county", new_id=lambda: "z-question")
    town = ReferralStore(cache, TOWN, "pr-town", new_id=lambda: "a-answer")
    county.receive(task, NOW)
    county.ask(task, "ECG?", NOW)
    town.answer(task, "sinus rhythm", NOW)
    assert [(m.id, m.kind) for m in county.thread(task)] == [
        ("z-question", "question"),
        ("a-answer", "answer"),
    ]
