"""`?` help in Chinese on every screen a clinician or an expert works on: each action said in
Chinese, the dialog inside 80x24, scrolling when the list is longer than the screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from textual.containers import VerticalScroll

from clinic_tui import i18n
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.screens.follow_ups import FollowUpsScreen
from clinic_tui.screens.help import HelpScreen
from clinic_tui.widgets.marked_list import MarkedOptionList
from tests.ui.chart_fixtures import clinic_app, fixture_clinic
from tests.ui.pilot import press, settle
from tests.ui.queue_app import queue_app
from tests.ui.triage_app import triage_app

pytestmark = pytest.mark.anyio

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
"""An English word left in a Chinese description (key names live in the other column)."""


@pytest.fixture(autouse=True)
def chinese() -> None:
    """Every test here reads the help in Chinese."""
    i18n.set_language("zh")


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The chart fixtures: p-allergic is in today's queue."""
    return fixture_clinic(engine)


async def help_faults(pilot: object, key: str = "question_mark") -> list[str]:
    """Open help with `key`, list what is wrong with it, close it again."""
    app = pilot.app  # type: ignore[attr-defined]
    await press(pilot, key)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    faults = [
        f"{line.key_text}: {line.description}"
        for section in screen.sections
        for line in section.lines
        if LATIN_WORD.search(line.description) or LATIN_WORD.search(section.title)
    ]
    dialog = screen.query_one("#help-dialog")
    if not app.screen.region.contains_region(dialog.region):
        faults.append(f"the help {dialog.region} runs off the screen {app.screen.region}")
    scroll = screen.query_one("#help-keys", VerticalScroll)
    lines = sum(len(section.lines) + 2 for section in screen.sections) - 1
    if lines > scroll.region.height and scroll.max_scroll_y == 0:
        faults.append("a list longer than the screen does not scroll")
    await press(pilot, "escape")  # type: ignore[arg-type]
    return faults


async def test_the_queue_and_its_dialogs(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert await help_faults(pilot) == []
        await press(pilot, "s")
        assert await help_faults(pilot) == []
        await press(pilot, "escape", "r")  # the search, where ? is text
        assert await help_faults(pilot, "f1") == []
        await press(pilot, "escape")  # the new-patient form
        assert await help_faults(pilot, "f1") == []
        await press(pilot, "escape", "F")
        assert isinstance(app.screen, FollowUpsScreen)
        assert await help_faults(pilot) == []


async def test_the_chart_its_forms_the_order_screen_and_the_referrals(
    cache: ClinicCache,
) -> None:
    app = clinic_app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert await help_faults(pilot) == []
        for form in ("v", "r"):
            await press(pilot, form)
            assert await help_faults(pilot, "f1") == [], form
            await press(pilot, "escape")
        await press(pilot, "m")  # the order line has the cursor: F1
        assert await help_faults(pilot, "f1") == []
        await press(pilot, "down")  # the active list and the prescription's lines
        assert isinstance(app.screen.focused, MarkedOptionList)
        assert await help_faults(pilot) == []
        await press(pilot, "escape", "R")
        assert await help_faults(pilot) == []


async def test_the_triage_inbox(tmp_path: Path) -> None:
    app = triage_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert await help_faults(pilot) == []
        await press(pilot, "x")  # the decline form
        assert await help_faults(pilot, "f1") == []
