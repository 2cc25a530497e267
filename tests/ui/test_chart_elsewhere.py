"""A referred patient's chart at the hospital says its records are kept at the township.

The hospital's cache holds the referral and the Patient, not the patient's records: the
chart must never read "None recorded" (a doctor would take it for "no problems"), the
allergy banner sends the prescriber to the referral's summary, which the chart shows,
and the order screen warns that allergies and medicines cannot be checked here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.app import App

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.prescription import PrescriptionScreen
from tests.ui.chart_fixtures import fixed_clock
from tests.ui.chart_host import ChartHostApp
from tests.ui.hospital_cache import build_hospital_cache
from tests.ui.pilot import press, settle, type_text
from tests.ui.queue_app import Clock
from tests.ui.referred_fixtures import REFERRED, TOWN_NAME, hospital_cache
from tests.ui.triage_app import TRIAGE_NOW

pytestmark = pytest.mark.anyio
SnapCompare = Callable[..., bool]


_BORDERS = re.compile("[│┃▁▂▃▄▅▆▇█]")
"""Box sides and scrollbar: a sentence wrapped inside a box reads as one line without them."""


def screen_text(app: App[Any]) -> str:
    """What the terminal shows now, as plain text with its lines joined."""
    svg = app.export_screenshot()
    text = html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")
    return " ".join(_BORDERS.sub(" ", text).split())


async def test_the_chart_says_where_the_records_are_and_shows_the_summary(
    engine: Engine,
) -> None:
    app = ChartHostApp(hospital_cache(engine), REFERRED, fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        shown = screen_text(app)
        assert "None recorded" not in shown
        assert f"Records kept at {TOWN_NAME} — only the referral is held here" in shown
        assert (
            f"?? Allergies: see the referral summary (records kept at {TOWN_NAME}) – ask "
            "before prescribing" in shown
        )
        assert f"Summary from {TOWN_NAME}:" in shown
        assert "过敏史：青霉素（皮疹）" in shown  # the township's words, on the first screen
        assert f"Kept at {TOWN_NAME} (not downloaded here)" in shown
        # Every section below says so too (scrolled into view one by one).
        for section in ("#problems", "#medications", "#vitals", "#visits"):
            app.screen.query_one(section).scroll_visible(animate=False)
            await settle(pilot)
            assert f"Kept at {TOWN_NAME} (not downloaded here)" in screen_text(app)
            assert "None recorded" not in screen_text(app)


async def test_the_chart_says_so_in_chinese(engine: Engine) -> None:
    i18n.set_language("zh")
    app = ChartHostApp(hospital_cache(engine), REFERRED, fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert f"病历保存在{TOWN_NAME} — 本机只有转诊资料，摘要见下" in shown
        assert f"过敏史：见转诊摘要（病历保存在{TOWN_NAME}）— 开药前请询问" in shown
        assert f"保存在{TOWN_NAME}（本机未下载）" in shown
        assert "无记录" not in shown


async def test_records_written_here_show_with_the_note_that_the_rest_are_elsewhere(
    engine: Engine,
) -> None:
    app = ChartHostApp(hospital_cache(engine, recorded_here=True), REFERRED, fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert f"Records kept at {TOWN_NAME} — only the referral and what was recorded" in shown
        app.screen.query_one("#problems").scroll_visible(animate=False)
        await settle(pilot)
        assert "原发性高血压" in screen_text(app)


async def test_m_warns_that_allergies_and_medicines_cannot_be_checked_here(
    engine: Engine,
) -> None:
    app = ChartHostApp(hospital_cache(engine), REFERRED, fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "m")
        assert isinstance(app.screen, PrescriptionScreen)
        shown = screen_text(app)
        assert f"Kept at {TOWN_NAME} (not downloaded here)" in shown  # active medications
        assert "None active" not in shown
        await type_text(pilot, "amox 500mg po tid 5d")
        await press(pilot, "enter")
        shown = screen_text(app)
        assert "! MODERATE Allergies and medications are kept at" in shown
        assert f"{TOWN_NAME} and cannot be checked here" in shown
        assert "source: This cache's sync scope" in shown
        # One moderate warning: signing goes on to the confirmation, nothing to override.
        assert "0 high, 1 moderate" in shown


async def test_o_from_the_triage_inbox_opens_the_referred_patients_chart(
    tmp_path: Path,
) -> None:
    engine, hospital = build_hospital_cache(tmp_path, patients=60)
    settings = Settings(data_dir=tmp_path, role="expert", clinic_id=hospital)
    cache = ClinicCache(engine, clinic_id=hospital)
    app = ClinicApp(settings=settings, cache=cache, clock=Clock(TRIAGE_NOW), auto_sync=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "o")
        assert isinstance(app.screen, ChartScreen)
        shown = screen_text(app)
        assert "Records kept at" in shown
        assert "only the referral is held here" in shown
        assert "Allergies: see the referral summary" in shown
        assert "过敏史：" in shown  # the demo township's summary names the allergies
        assert "None recorded" not in shown
    engine.dispose()


def test_referred_chart_snapshot(snap_compare: SnapCompare, engine: Engine) -> None:
    app = ChartHostApp(hospital_cache(engine), REFERRED, fixed_clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


def test_referred_chart_snapshot_in_chinese(snap_compare: SnapCompare, engine: Engine) -> None:
    i18n.set_language("zh")
    app = ChartHostApp(hospital_cache(engine), REFERRED, fixed_clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
