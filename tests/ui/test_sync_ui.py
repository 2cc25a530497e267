"""The sync badge and the background sync in the app.

The badge is fed the app's own messages (SyncStarted, SyncProgress, SyncFinished)
to show each state. The end-to-end sync of a walk-in with the real FHIR test server
is tests/integration/test_sync_tui.py (where the server fixture lives).
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.messages import CacheChanged, SyncFinished, SyncProgress, SyncStarted
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.sync import session
from clinic_tui.sync.session import RoundResult
from clinic_tui.sync.sync_lock import SyncLock
from clinic_tui.widgets.queue_table import QueueTable
from clinic_tui.widgets.sync_badge import SyncBadge, SyncState, badge_parts
from tests.factories import CST, QUEUE_NOW, encounter
from tests.ui.pilot import settle
from tests.ui.queue_app import queue_app

pytestmark = pytest.mark.anyio

AT_1042 = datetime(2026, 11, 24, 10, 42, tzinfo=CST)


def badge(app: ClinicApp) -> SyncBadge:
    """The badge of the screen on display."""
    return app.screen.query_one(SyncBadge)


def server_app(tmp_path: Path, server_url: str = "https://fhir.example.org/fhir") -> ClinicApp:
    """The queue app with a server configured and no automatic sync (tests sync on demand)."""
    base = queue_app(tmp_path)
    settings = Settings(data_dir=tmp_path, server_url=server_url)
    return ClinicApp(settings=settings, cache=base.cache, clock=base.clock, auto_sync=False)


# ----- the words of each state (what NO_COLOR shows) ------------------------------------------


def test_each_state_in_words() -> None:
    def words(**fields: Any) -> str:
        return " · ".join(part for part, _ in badge_parts(SyncState(**fields)))

    assert words() == "Offline · no server configured"
    assert words(pending=3) == "* 3 unsynced · Offline"
    assert words(server=True) == "Not synced yet"
    assert words(server=True, syncing=True, phase="upload", percent=45) == "~ Syncing 45% upload"
    assert words(server=True, syncing=True, phase="download", resource_type="Patient") == (
        "~ Syncing download Patients"
    )
    assert words(server=True, pending=1) == "* 1 unsynced"
    assert words(server=True, last_synced=AT_1042, today=AT_1042.date()) == "✓ Synced 10:42"
    assert words(server=True, last_synced=AT_1042, today=AT_1042.date().replace(day=25)) == (
        "✓ Synced 11-24 10:42"
    )
    assert words(server=True, conflicts=2, pending=2, last_synced=AT_1042) == (
        "!! 2 conflicts · * 2 unsynced"
    )
    unreachable = "cannot reach https://fhir.example.org/fhir (ConnectError)"
    assert words(server=True, error=unreachable) == "x Sync failed: cannot reach https://…"
    assert words(server=True, syncing=True, pending=2, conflicts=1, percent=5, phase="upload") == (
        "!! 1 conflict · ~ Syncing 5% upload"
    )
    assert words(server=True, rejected=1, pending=1) == "x 1 rejected · * 1 unsynced"


def test_each_state_in_chinese() -> None:
    i18n.set_language("zh")
    state = SyncState(server=True, conflicts=1, pending=2)
    assert [part for part, _ in badge_parts(state)] == ["!! 1 处冲突", "* 2 条未同步"]
    assert badge_parts(SyncState())[0][0] == "离线 · 未配置服务器"
    assert badge_parts(SyncState(server=True, syncing=True, phase="upload", percent=9))[0][0] == (
        "~ 正在同步 9% 上传"
    )
    downloading = SyncState(server=True, syncing=True, phase="download", resource_type="Encounter")
    assert badge_parts(downloading)[0][0] == "~ 正在同步 下载 就诊记录"  # never a FHIR type name
    # A Chinese reason is cut by terminal cells (two per character), not by characters.
    failed = badge_parts(SyncState(server=True, error="无法连接服务器" * 4))[0][0]
    assert failed == "x 同步失败: " + "无法连接服务器无法连" + "…"  # 20 of 22 cells


# ----- the badge follows the app's messages ---------------------------------------------------


async def test_a_sync_recorded_in_the_cache_shows_from_the_start(tmp_path: Path) -> None:
    # A scheduled `clinic-tui sync` ran at 02:42 UTC (10:42 in the clinic) before the app opened.
    app = server_app(tmp_path)
    with app.cache.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO cache_meta (key, value) VALUES (:key, :value)"),
            {"key": "last_successful_sync", "value": "2026-11-24T02:42:05+00:00"},
        )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert badge(app).words == "✓ Synced 10:42"
        # A later round in the app is newer than the recorded one; the older never comes back.
        app.post_message(SyncFinished(finished_at=AT_1042.replace(hour=11), pending=0))
        await settle(pilot)
        app.screen.post_message(CacheChanged())
        await settle(pilot)
        assert badge(app).words == "✓ Synced 11:42"


async def test_badge_follows_sync_messages_on_queue_and_chart(tmp_path: Path) -> None:
    app = server_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert badge(app).words == "Not synced yet"
        app.post_message(SyncStarted())
        app.post_message(SyncProgress("upload", 9, 20))
        await settle(pilot)
        assert badge(app).words.startswith("~ Syncing 45% upload")
        assert badge(app).has_class("-syncing")

        app.post_message(SyncFinished(finished_at=AT_1042, pending=0, conflicts=0))
        await settle(pilot)
        assert badge(app).words == "✓ Synced 10:42"

        refused = "the server refused the credentials (401)"
        app.post_message(SyncFinished(error=refused, pending=0))
        await settle(pilot)
        assert badge(app).words == "x Sync failed: the server refused th…"
        # The whole reason is told once, when it first appears.
        assert list(app.notices).count(f"Sync failed: {refused}") == 1
        app.post_message(SyncFinished(error=refused, pending=0))
        await settle(pilot)
        assert list(app.notices).count(f"Sync failed: {refused}") == 1
        assert badge(app).has_class("-failed")

        app.post_message(SyncFinished(finished_at=AT_1042, conflicts=2, pending=2))
        await settle(pilot)
        assert badge(app).words == "!! 2 conflicts [c] · * 2 unsynced"  # c opens them
        assert badge(app).has_class("-conflicts")

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        assert badge(app).words == "!! 2 conflicts"  # compact beside the footer


async def test_a_sync_that_changed_the_cache_makes_the_queue_re_read(tmp_path: Path) -> None:
    app = server_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = app.screen.query_one(QueueTable).row_count
        # What a download does: records arrive in the cache behind the screen's back.
        arrival = QUEUE_NOW.replace(hour=9, minute=58)
        with app.cache.engine.begin() as connection:
            upsert_resources(connection, [encounter("e-9", "p-li", 9, arrival, "复查")])
        app.post_message(SyncFinished(finished_at=AT_1042, changed=False))
        await settle(pilot)
        assert app.screen.query_one(QueueTable).row_count == rows
        app.post_message(SyncFinished(finished_at=AT_1042, changed=True))
        await settle(pilot)
        assert app.screen.query_one(QueueTable).row_count == rows + 1


async def test_ctrl_s_without_a_server_says_how_to_configure_one(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert badge(app).words == "Offline · no server configured"
        assert any("clinic-tui login" in notice for notice in app.notices)


async def test_missing_credentials_show_on_the_badge_and_nothing_crashes(tmp_path: Path) -> None:
    app = server_app(tmp_path)  # no CLINIC_TUI_TOKEN, and the tests' keyring is the null one
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert badge(app).words.startswith("x Sync failed: not logged in to")
        assert app.is_running


# ----- one sync at a time; failures never crash ------------------------------------------------


class BlockingRound:
    """Stands in for sync_round: each round waits until the test lets it finish."""

    def __init__(self) -> None:
        self.rounds = 0
        self.release = threading.Event()

    def __call__(self, *_args: Any, **_kwargs: Any) -> RoundResult:
        self.rounds += 1
        assert self.release.wait(timeout=30)
        return RoundResult()


async def test_a_second_request_during_a_round_runs_one_more_round_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = BlockingRound()
    monkeypatch.setattr(session, "sync_round", fake)
    app = server_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+s", "ctrl+s")
        await pilot.pause()
        running = [w for w in app.workers if w.group == "sync" and not w.is_finished]
        assert len(running) == 1
        assert badge(app).words.startswith("~ Syncing")
        fake.release.set()
        await settle(pilot)
        await settle(pilot)
        assert fake.rounds == 2  # the one under way, then one for the requests made during it
        assert badge(app).words == "✓ Synced 10:00"


async def test_an_unexpected_error_in_the_round_shows_on_the_badge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> RoundResult:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(session, "sync_round", broken)
    app = server_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert badge(app).words == "x Sync failed: disk I/O error"
        assert app.is_running


async def test_another_window_syncing_the_cache_is_waiting_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", "test-token")  # credentials: the round gets to the lock
    app = server_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # Another browser tab of `clinic-tui serve` (another process) is syncing this cache.
        with SyncLock(app.cache.engine):
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert badge(app).words == "~ Another window is syncing this cache"
            assert "Sync failed" not in " ".join(app.notices)
            assert app.sync_state.error is None
        assert app.is_running


def test_another_window_syncing_in_both_languages() -> None:
    state = SyncState(server=True, busy=True, pending=2)
    assert [part for part, _ in badge_parts(state)] == [
        "~ Another window is syncing this cache",
        "* 2 unsynced",
    ]
    i18n.set_language("zh")
    assert badge_parts(state, compact=True) == [("~ 另一个窗口正在同步此缓存", "-syncing")]


async def test_sync_and_conflicts_are_in_the_palette(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        commands = {command.title: command.help for command in app.get_system_commands(app.screen)}
        assert commands["Sync"] == "Key: ^s"
        assert commands["Conflicts"] == "Key: c"


async def test_the_interval_never_queues_a_round_behind_a_running_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = BlockingRound()
    monkeypatch.setattr(session, "sync_round", fake)
    app = server_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app._sync_on_interval()
        await pilot.pause()
        app._sync_on_interval()  # the interval comes round while the first round still runs
        fake.release.set()
        await settle(pilot)
        await settle(pilot)
        assert fake.rounds == 1
