"""`?` help and the command palette list the clinician's keys, in the UI language, keys that
work, and nothing of Textual's a clinician never needs (issue 9, point 8)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static

from clinic_tui import i18n
from clinic_tui.screens.help import HelpScreen
from clinic_tui.screens.patient_search import PatientSearchScreen
from clinic_tui.screens.queue_status import StatusScreen
from clinic_tui.widgets.row_table import CURSOR_MARK
from tests.ui.pilot import press, settle
from tests.ui.queue_app import queue_app

pytestmark = pytest.mark.anyio

FRAMEWORK_WORDS = (
    "Cursor left",
    "Cursor right",
    "Page Left",
    "Page Right",
    "Copy selected text",
    "palette",
    "Focus Next",
)


async def test_help_lists_this_screens_keys_first_each_once(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        first = app.screen.sections[0]
        assert first.title == "This screen"
        assert [line.description for line in first.lines][:6] == [
            "Chart",
            "Call next",
            "Walk-in",
            "Status",
            "Undo",
            "Search",
        ]
        descriptions = [line.description for s in app.screen.sections for line in s.lines]
        assert not [word for word in FRAMEWORK_WORDS if word in descriptions]
        assert [d for d, n in Counter(descriptions).items() if n > 1] == []
        # The queue has one focusable table: Tab would do nothing, so it is not listed.
        assert "tab" not in dict(app.screen.keys)


async def test_help_scrolls_with_the_arrows_and_says_which_lines_show(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        scroll = screen.query_one("#help-keys", VerticalScroll)
        assert screen.region.height <= 24
        position = screen.query_one("#help-position", Static)
        if scroll.max_scroll_y == 0:
            assert "All" in str(position.render())
            return
        assert str(position.render()).startswith("Lines 1–")
        await press(pilot, "down")
        assert scroll.scroll_y == 1
        assert str(position.render()).startswith("Lines 2–")


async def test_help_sections_are_in_chinese(tmp_path: Path) -> None:
    i18n.set_language("zh")
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert [s.title for s in app.screen.sections] == ["本屏", "移动", "任何屏幕"]
        assert app.screen.sections[0].lines[1].description == "叫号"


async def test_question_mark_in_a_dialog_lists_the_dialogs_own_keys(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        assert isinstance(app.screen, StatusScreen)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = dict(app.screen.keys)
        assert listed["1"] == "Waiting"
        assert listed["4"] == "Left without being seen"
        assert "n" not in listed  # the queue's keys do not work in the dialog
        await press(pilot, "escape")
        assert isinstance(app.screen, StatusScreen)


async def test_f1_opens_help_even_where_question_mark_is_typed_text(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        assert isinstance(app.screen, PatientSearchScreen)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)


async def test_the_status_dialog_marks_the_highlighted_state_in_text(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        options = app.screen.query_one(OptionList)

        def marked() -> list[int]:
            return [
                index
                for index in range(options.option_count)
                if str(options.get_option_at_index(index).prompt).startswith(CURSOR_MARK)
            ]

        assert marked() == [0]  # #5 is waiting
        await press(pilot, "down")
        assert marked() == [1]


async def test_the_palette_lists_the_apps_commands_only(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for textual_only in ("Theme", "Keys", "Screenshot", "Maximize"):
            assert not [title for title in titles if textual_only in title], titles
        assert titles.count("Quit") == 1
        assert {"Call next", "Walk-in", "Search", "Sync", "Conflicts", "Help"} <= set(titles)
        assert "Cursor up" not in titles
