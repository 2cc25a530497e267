"""At 80x24, in English and Chinese, every key the footer shows is whole, help is always
among them, and a notice never sits on a key (the chart once read "m Rx es" beside its
badge, and "e Signed…" where a notice met the keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.app import App
from textual.strip import Strip
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from clinic_tui import i18n
from clinic_tui.i18n import tr
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.help import HelpScreen
from clinic_tui.screens.prescription import PrescriptionScreen
from clinic_tui.screens.prescription_dialogs import OverrideDialog
from clinic_tui.widgets.key_footer import HELP_ACTION, keys_to_hide
from clinic_tui.widgets.notice_line import NoticeLine
from tests.ui.chart_fixtures import clinic_app, fixture_clinic
from tests.ui.pilot import press, settle, type_text
from tests.ui.queue_app import queue_app
from tests.ui.triage_app import triage_app

pytestmark = pytest.mark.anyio

LANGUAGES = ["en", "zh"]


def screen_strips(app: App[Any]) -> list[Strip]:
    """The screen as the terminal shows it, one strip of cells per row."""
    return app.screen._compositor.render_strips()


def screen_lines(app: App[Any]) -> list[str]:
    """The screen as the terminal shows it, one string per row."""
    return [strip.text for strip in screen_strips(app)]


def footer_faults(app: App[Any], *, help_key: bool = True) -> list[str]:
    """What is wrong with the footer a user reads: cut keys, a missing help key."""
    faults = []
    footer = app.screen.query(Footer).last()
    visible = footer.region.intersection(app.screen.region)
    keys = [key for key in footer.query(FooterKey) if key.display]
    strip = screen_strips(app)[footer.region.y]
    row = strip.text
    for key in keys:
        label = f"{key.key_display} {key.description}".strip()
        drawn = strip.crop(key.region.x, key.region.right).text.strip()
        if not visible.contains_region(key.region):
            faults.append(f"{label!r} runs past the footer's edge: {row!r}")
        elif drawn != label:
            faults.append(f"{label!r} reads {drawn!r} on the line: {row!r}")
    if help_key and not any(key.action == HELP_ACTION for key in keys):
        faults.append(f"no help key on the line: {row!r}")
    return faults


def notice_faults(app: App[Any]) -> list[str]:
    """A notice on show must have a row of its own, off every key."""
    line = app.screen.query_one(NoticeLine)
    if not line.message:
        return ["no notice shows"]
    footer = app.screen.query(Footer).last()
    faults = []
    if line.region.overlaps(footer.region):
        faults.append(f"the notice {line.region} overlaps the footer {footer.region}")
    row = screen_lines(app)[line.region.y]
    if line.message[:20] not in row:
        faults.append(f"the notice is not readable: {row!r}")
    return faults


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    """Each test in English and in Chinese (labels are made when a screen is built)."""
    i18n.set_language(str(request.param))
    return str(request.param)


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The chart fixtures: p-allergic is in today's queue and has an unsynced medication."""
    return fixture_clinic(engine)


async def test_the_chart_shows_whole_keys_beside_a_wide_badge(
    cache: ClinicCache, language: str
) -> None:
    app = clinic_app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, ChartScreen)
        assert footer_faults(app) == []
        row = screen_lines(app)[23]
        assert f"m {tr('Rx')}" in row  # the prescribing key keeps its place


async def test_a_chart_notice_has_its_own_row_and_leaves_the_keys_whole(
    cache: ClinicCache, language: str
) -> None:
    app = clinic_app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        await press(pilot, "v")
        await type_text(pilot, "120")
        await press(pilot, "tab")
        await type_text(pilot, "80")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ChartScreen)
        assert notice_faults(app) == []
        assert footer_faults(app) == []


async def test_the_order_screen_keys_are_whole_in_the_line_the_basket_and_after_signing(
    cache: ClinicCache, language: str
) -> None:
    pytest.importorskip("clinic_tui.prescribing.checks")
    app = clinic_app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "m")
        assert isinstance(app.screen, PrescriptionScreen)
        # The order line has the cursor: `?` is text there, so help shows as F1.
        assert footer_faults(app) == []
        assert "F1 " in screen_lines(app)[23]
        await type_text(pilot, "metformin 500mg po bid 7d")
        await press(pilot, "enter", "down")
        assert footer_faults(app) == []
        await press(pilot, "s")
        while isinstance(app.screen, OverrideDialog):
            await press(pilot, "enter", "enter")
        await press(pilot, "y")
        assert isinstance(app.screen, PrescriptionScreen)
        assert notice_faults(app) == []
        assert footer_faults(app) == []


async def test_the_queue_and_its_dialogs_show_whole_keys(tmp_path: Path, language: str) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert footer_faults(app) == []
        for keys in (("r",), ("escape",), ("escape", "s")):
            await press(pilot, *keys)
            assert footer_faults(app) == [], keys
        await press(pilot, "escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert footer_faults(app, help_key=False) == []  # its own keys close it


async def test_the_triage_inbox_shows_whole_keys(tmp_path: Path, language: str) -> None:
    app = triage_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert footer_faults(app) == []


async def test_the_referrals_list_shows_whole_keys(cache: ClinicCache, language: str) -> None:
    app = clinic_app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "R")
        assert footer_faults(app) == []


async def test_at_120_columns_the_chart_still_shows_every_key(cache: ClinicCache) -> None:
    app = clinic_app(cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert footer_faults(app) == []
        row = screen_lines(app)[39]
        for label in ("h History", "esc Back", "^q Quit", "^s Sync", "? Help"):
            assert label in row


def test_keys_go_in_the_order_given_until_the_rest_fit_and_help_never_goes() -> None:
    widths = [10, 10, 10, 7]  # each with its 1-cell gap
    actions = ["diagnose", "back", "quit", HELP_ACTION]
    order = [2, 1, 3, 0]
    assert keys_to_hide(widths, actions, 36, drop_order=order, gap=1) == set()
    assert keys_to_hide(widths, actions, 35, drop_order=order, gap=1) == {2}
    assert keys_to_hide(widths, actions, 20, drop_order=order, gap=1) == {1, 2}
    assert keys_to_hide(widths, actions, 5, drop_order=order, gap=1) == {0, 1, 2}
