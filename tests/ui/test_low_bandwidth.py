"""--low-bandwidth: no animation, no blinking cursor; and what every mode saves on a thin link:
the queue redraws only the rows that change."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Input

from clinic_tui.app import ClinicApp
from clinic_tui.messages import SyncProgress
from clinic_tui.screens.patient_search import PatientSearchScreen
from clinic_tui.widgets.queue_table import QueueTable
from tests.ui.pilot import press, settle
from tests.ui.queue_app import queue_app

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def no_search_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Search as soon as a key is typed: tests wait for workers, never for timers."""
    monkeypatch.setattr(PatientSearchScreen, "DEBOUNCE_SECONDS", 0)


async def test_low_bandwidth_turns_animation_and_the_cursor_blink_off(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    low = ClinicApp(settings=replace(app.settings, low_bandwidth=True), cache=app.cache)
    async with low.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert low.animation_level == "none"
        await press(pilot, "slash")
        field = low.screen.query_one(Input)
        assert field.has_focus
        assert field.cursor_blink is False


async def test_normal_mode_keeps_textuals_defaults(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.animation_level != "none"
        await press(pilot, "slash")
        assert app.screen.query_one(Input).cursor_blink is True


async def test_moving_down_the_queue_redraws_two_rows_not_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        whole: list[object] = []
        rows: list[int] = []
        original_refresh, original_refresh_row = table.refresh, table.refresh_row

        def refresh(*regions: object, **options: object) -> object:
            if not regions:
                whole.append(options)
            return original_refresh(*regions, **options)  # type: ignore[arg-type]

        def refresh_row(index: int) -> object:
            rows.append(index)
            return original_refresh_row(index)

        monkeypatch.setattr(table, "refresh", refresh)
        monkeypatch.setattr(table, "refresh_row", refresh_row)
        await press(pilot, "down")

        assert whole == []  # DataTable.update_cell would have redrawn every row
        assert {0, 1} <= set(rows)
        assert table.get_cell_at((1, 0)).plain.startswith("▶")


async def test_a_tick_that_changes_no_wait_redraws_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        redrawn: list[int] = []
        monkeypatch.setattr(table, "refresh_row", lambda index: redrawn.append(index))
        monkeypatch.setattr(table, "refresh", lambda *a, **k: redrawn.append(-1))

        table.tick(app.clock())  # the same minute: every wait reads as before

        assert redrawn == []
        first = table.entries[0].encounter_id
        table.set_cell(first, "wait", Text("999 min"))
        assert redrawn == [0]


async def test_low_bandwidth_moves_the_sync_badge_in_steps_not_page_by_page(
    tmp_path: Path,
) -> None:
    app = queue_app(tmp_path)
    low = ClinicApp(settings=replace(app.settings, low_bandwidth=True), cache=app.cache)
    async with low.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen: list[int | None] = []
        for done in range(0, 101, 2):  # a round reporting every 2 %
            low.post_message(SyncProgress("download", done, 100))
            await pilot.pause()
            if not seen or seen[-1] != low.sync_state.percent:
                seen.append(low.sync_state.percent)
        low.post_message(SyncProgress("upload", 1, 50))
        await pilot.pause()

        assert seen == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
        assert low.sync_state.phase == "upload"  # a new phase always shows


async def test_showing_the_same_queue_again_rebuilds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Back from a chart the queue is re-read: unchanged, it must not be sent again whole.
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "down")
        table = app.screen.query_one(QueueTable)
        cleared: list[bool] = []
        redrawn: list[int] = []
        monkeypatch.setattr(table, "clear", lambda columns=False: cleared.append(columns))
        monkeypatch.setattr(table, "refresh_row", lambda index: redrawn.append(index))

        table.show(list(table.entries), app.clock())

        assert cleared == []
        assert redrawn == []
        assert table.cursor_row == 1
        assert table.get_cell_at((1, 0)).plain.startswith("▶")


async def test_the_app_keeps_no_timer_of_its_own_while_idle(tmp_path: Path) -> None:
    # Each Textual timer tick is a message the app handles and then redraws after: the idle
    # garbage collector once ticked every 0.5 s, and an idle --low-bandwidth app wrote
    # ~17 KB per 10 s (benchmarks/bytes_per_keystroke.py). It looks from asyncio instead.
    app = queue_app(tmp_path)
    low = ClinicApp(settings=replace(app.settings, low_bandwidth=True), cache=app.cache)
    async with low.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert low.collector.active
        assert [timer for timer in low._timers if timer._active.is_set()] == []
