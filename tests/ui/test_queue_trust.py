"""A full morning at 80x24: what a clinician must always see, and the words and marks that
make the queue readable without colour (issue 9, points 4, 8, 11 and 12)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Static

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.queue_table import QueueTable
from clinic_tui.widgets.row_table import CURSOR_MARK
from tests.factories import CLINIC_ID, QUEUE_NOW, encounter, organization, patient
from tests.ui.pilot import press, settle
from tests.ui.queue_app import Clock

pytestmark = pytest.mark.anyio

ROWS = 23


def busy_morning(folder: Path) -> ClinicApp:
    """23 registrations: #1-#21 routine (#20 an infant), #22 urgent, #23 emergency (came last)."""
    resources = [organization(CLINIC_ID, "青山镇卫生院")]
    for number in range(1, ROWS + 1):
        name = "Ahmed Okafor" if number == 3 else f"患者{number:02d}"
        birth = "2025-10-01" if number == 20 else "1970-01-01"
        resources.append(patient(f"p-{number}", name, "male", birth))
        priority = {22: "UR", 23: "EM"}.get(number, "R")
        arrived = QUEUE_NOW - timedelta(minutes=100 - number * 4)
        resources.append(
            encounter(
                f"e-{number}", f"p-{number}", number, arrived, "发热咳嗽三天", priority=priority
            )
        )
    engine = open_cache(folder / "clinic.sqlite3")
    with engine.begin() as connection:
        upsert_resources(connection, resources)
    return ClinicApp(
        settings=Settings(data_dir=folder), cache=ClinicCache(engine, CLINIC_ID), clock=Clock()
    )


def table(app: ClinicApp) -> QueueTable:
    return app.screen.query_one(QueueTable)


def visible_rows(grid: QueueTable) -> range:
    """Rows of the table inside its window (header excluded)."""
    first = round(grid.scroll_y)
    return range(first, first + grid.scrollable_content_region.height - 1)


async def test_an_emergency_who_came_last_is_on_screen_and_counted(tmp_path: Path) -> None:
    app = busy_morning(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = table(app)
        rows = [entry.encounter_id for entry in grid.entries]
        # By number the emergency was row 23: below the fold of an 80x24 terminal.
        assert rows.index("e-23") in visible_rows(grid)
        assert rows.index("e-22") in visible_rows(grid)
        assert rows[:2] == ["e-23", "e-22"]  # in the order they will be called
        counts = str(app.screen.query_one("#queue-counts", Static).render())
        # 23 waiting: at 80 columns the shorter words keep every count on the line.
        assert "(!!! Emerg 1, !! Urgent 1)" in counts
        assert counts.endswith("Left 0")


async def test_a_notice_covers_no_row_of_the_queue(tmp_path: Path) -> None:
    app = busy_morning(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "u")  # "Nothing to undo"
        # No toast (Textual draws none under run_test, but it would queue one here) ...
        assert not list(app._notifications)
        # ... the notice has a line of its own, below the table.
        line = app.screen.query_one(NoticeLine)
        assert line.message == "Nothing to undo"
        assert not line.region.overlaps(table(app).region)


async def test_the_selected_row_carries_a_marker_that_moves_with_the_cursor(
    tmp_path: Path,
) -> None:
    app = busy_morning(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = table(app)

        def marked() -> list[str]:
            return [
                entry.encounter_id
                for entry in grid.entries
                if str(grid.get_row(entry.encounter_id)[0]).startswith(CURSOR_MARK)
            ]

        assert marked() == ["e-23"]
        await press(pilot, "down")
        assert marked() == ["e-22"]


async def test_home_and_end_go_to_the_first_and_last_row(tmp_path: Path) -> None:
    app = busy_morning(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "end")
        assert table(app).cursor_row == ROWS - 1
        await press(pilot, "home")
        assert table(app).cursor_row == 0


async def test_months_of_age_and_minutes_of_wait_read_differently(tmp_path: Path) -> None:
    app = busy_morning(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = table(app)
        row = grid.get_row("e-20")
        assert str(row[3]) == "M 13mo"
        assert str(row[7]) == "20 min"


async def test_in_chinese_the_wait_column_and_its_units_are_translated(tmp_path: Path) -> None:
    i18n.set_language("zh")
    app = busy_morning(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = table(app)
        headers = [str(column.label) for column in grid.columns.values()]
        assert headers[-1] == "候诊时间"  # not 候诊, which is the status 'Waiting'
        row = grid.get_row("e-20")
        assert str(row[3]) == "男 13月龄"
        assert str(row[7]) == "20分钟"
        assert str(grid.get_row("e-1")[7]) == "1小时36分"


async def test_names_get_their_width_before_the_complaint_at_80_columns(tmp_path: Path) -> None:
    app = busy_morning(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = table(app)
        assert str(grid.get_row("e-3")[2]) == "Ahmed Okafor"
        assert grid.columns["complaint"].width >= 8  # the complaint still has room to start
        widths = sum(column.get_render_width(grid) for column in grid.columns.values())
        assert widths <= 80


async def test_on_the_chart_a_notice_takes_the_row_above_the_keys(tmp_path: Path) -> None:
    app = busy_morning(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert app.screen.query_one(NoticeLine).region.height == 0  # no row while silent
        await press(pilot, "ctrl+s")  # no server configured: says how to set one up
        line = app.screen.query_one(NoticeLine)
        assert "clinic-tui login" in line.message
        assert not list(app._notifications)
        # Its own row above the keys: beside them it once cut the keys ("e Signed…").
        assert line.region.y == 22
