"""The referral reads screens call instead of opening the cache: inbox, previews, seen, counts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from clinic_tui.offline_cache.cache_file import connect
from clinic_tui.referral import reads
from clinic_tui.referral.reads import InboxReader, queue_referral_counts, read_previews
from tests.ui.chart_fixtures import NOW
from tests.unit.test_referral_store import COUNTY, DRAFT, _county, _town
from tests.unit.test_referral_store import cache as cache


def _path(engine: Engine) -> Path:
    return Path(str(engine.url.database))


def _synced(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE communication SET pending = 0"))


def test_the_inbox_reader_lists_the_referral_and_marks_its_thread_seen(cache: Engine) -> None:
    town = _town(cache)
    task_id = town.refer("p-allergic", DRAFT, NOW)
    town.ask(task_id, "请尽快安排", NOW)
    _synced(cache)
    reader = InboxReader(_path(cache), COUNTY.id)
    rows, departments = reader.inbox()
    assert [(row.task_id, row.unread) for row in rows] == [(task_id, 1)]
    assert [d.name for d in departments] == ["内分泌科", "心内科"]
    reader.mark_seen(task_id)
    assert [row.unread for row in reader.inbox()[0]] == [0]


def test_previews_only_of_referrals_that_exist(cache: Engine) -> None:
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    found = read_previews(_path(cache), [task_id, "no-such-task"])
    assert list(found) == [task_id]
    assert found[task_id].summary.startswith("Problems: I10")
    assert InboxReader(_path(cache), COUNTY.id).preview("no-such-task") is None


def test_the_queue_counts_read_an_unread_answer(cache: Engine) -> None:
    town = _town(cache)
    task_id = town.refer("p-allergic", DRAFT, NOW)
    assert queue_referral_counts(_path(cache), town.clinic.id, NOW.date()) == ([], 0)
    _county(cache).ask(task_id, "最近一次心电图？", NOW)
    _synced(cache)
    assert queue_referral_counts(_path(cache), town.clinic.id, NOW.date()) == ([], 1)


def test_every_read_closes_its_connection(cache: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    task_id = _town(cache).refer("p-allergic", DRAFT, NOW)
    opened: list[sqlite3.Connection] = []

    def tracked(path: Path) -> sqlite3.Connection:
        connection = connect(path)
        opened.append(connection)
        return connection

    monkeypatch.setattr(reads, "connect", tracked)
    reader = InboxReader(_path(cache), COUNTY.id)
    reader.inbox()
    reader.preview(task_id)
    reader.mark_seen(task_id)
    queue_referral_counts(_path(cache), "org-town", NOW.date())
    assert len(opened) == 4
    for connection in opened:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            connection.execute("SELECT 1")
