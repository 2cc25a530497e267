"""Issue #22: with --lang zh no English UI word shows on a screen, a form or the palette.

Each test renders a screen in Chinese and looks for words from a list of the app's and
Textual's own English UI words (units, footers, prompts); patient data is not searched.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.app import App
from textual.command import CommandInput, CommandList

from clinic_tui import i18n
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.widgets.command_palette import TranslatedCommandPalette
from tests.ui.chart_fixtures import clinic_app, fixture_clinic
from tests.ui.followup_host import FormHostApp, Recorder, form_data
from tests.ui.pilot import press, settle, type_text
from tests.ui.queue_app import queue_app

pytestmark = pytest.mark.anyio

ENGLISH_UI = re.compile(
    r"/min\b|\bmin\b|YYYY|Dismiss menu|Show menu|Search for commands|No matches found|"
    r"\b(?:Save|Cancel|Help|Back|Quit|Sync|Heart rate|Respiratory rate|Weight|Height)\b"
)
"""English UI words the walk of issue #22 found (or could find) on Chinese screens."""


@pytest.fixture(autouse=True)
def chinese() -> None:
    """Every test here runs the app in Chinese."""
    i18n.set_language("zh")


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The chart fixtures: p-allergic is in today's queue."""
    return fixture_clinic(engine)


def screen_text(app: App[Any]) -> str:
    """What the terminal shows now, as plain text."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def english_on(app: App[Any]) -> list[str]:
    """The English UI words on the screen now."""
    return ENGLISH_UI.findall(screen_text(app))


async def test_the_vitals_form_writes_per_minute_in_chinese(cache: ClinicCache) -> None:
    app = clinic_app(cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "v")
        shown = screen_text(app)
        assert "次/分" in shown
        assert english_on(app) == []


async def test_the_palette_prompts_and_finds_nothing_in_chinese(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        palette = app.screen
        assert isinstance(palette, TranslatedCommandPalette)
        assert palette.query_one(CommandInput).placeholder == "搜索命令…"
        await type_text(pilot, "zzzzqx")
        # Textual adds the line on a timer of its own: wait for the message, not for time.
        for _ in range(200):
            if palette.query_one(CommandList).option_count:
                break
            await pilot.pause(0.05)
        assert "没有匹配项" in screen_text(app)
        assert english_on(app) == []


async def test_the_new_patient_form_asks_for_the_date_in_chinese(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n")
        assert "年-月-日" in screen_text(app)
        assert english_on(app) == []


async def test_the_follow_up_form_and_its_open_menu_in_chinese() -> None:
    app = FormHostApp(form_data(), Recorder())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "次/分" in screen_text(app)
        assert english_on(app) == []
        await press(pilot, "enter")  # the visit mode's Select opens its menu
        shown = screen_text(app)
        assert "关闭菜单" in shown
        assert english_on(app) == []
