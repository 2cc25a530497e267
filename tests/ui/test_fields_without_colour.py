"""Under NO_COLOR an empty field still shows where to type: a bar at each end (heavier on
the field with the cursor). A one-line field was only a shade of background, which NO_COLOR
takes away, so an empty one was invisible in every form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.app import App
from textual.errors import NoWidget
from textual.widget import Widget
from textual.widgets import Input, Select, TextArea

from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.local_users import add_user, load_users
from clinic_tui.screens.lock import LockScreen
from clinic_tui.screens.refer_form import _OTHER as OTHER_REASON
from tests.ui.chart_fixtures import clinic_app, fixture_clinic
from tests.ui.pilot import press, settle
from tests.ui.queue_app import queue_app
from tests.ui.triage_app import triage_app

pytestmark = pytest.mark.anyio

BARS = frozenset("▏▕▌▐")
"""The ends of a field drawn without colour (vkey, and outer for the focused one)."""
TALL = frozenset("▊▎")
"""Textual's own border of a full-size field (the lock screen's PIN), visible already."""


@pytest.fixture
def no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app reads NO_COLOR when it is built."""
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The chart fixtures: p-allergic is in today's queue."""
    return fixture_clinic(engine)


def ends_drawn(app: App[Any], field: Widget) -> str:
    """The two cells at the field's left and right edges, as the terminal shows them."""
    strips = app.screen._compositor.render_strips()
    row = strips[field.region.y + field.region.height // 2]
    left = row.crop(field.region.x, field.region.x + 1).text
    right = row.crop(field.region.right - 1, field.region.right).text
    return left + right


def empty_fields(app: App[Any]) -> list[Input | TextArea]:
    """The empty fields wholly on view in the screen in front."""
    fields: list[Input | TextArea] = [field for field in app.screen.query(Input) if not field.value]
    fields += [area for area in app.screen.query(TextArea) if not area.text]
    return [field for field in fields if on_view(app, field)]


def on_view(app: App[Any], field: Widget) -> bool:
    """The field is laid out and not scrolled (even partly) out of its container."""
    try:
        geometry = app.screen.find_widget(field)
    except NoWidget:
        return False  # in a hidden part of the form
    return bool(geometry.region.area) and geometry.visible_region == geometry.region


def unmarked(app: App[Any]) -> list[str]:
    """Empty fields with nothing drawn at their ends (what NO_COLOR used to show)."""
    fields = empty_fields(app)
    assert fields, "no empty field on this screen"
    return [
        f"#{field.id} reads {ends_drawn(app, field)!r}"
        for field in fields
        if not set(ends_drawn(app, field)) <= BARS | TALL
    ]


async def test_the_walk_in_form_and_the_status_reason_show_empty_fields(
    tmp_path: Path, no_color: None
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n")  # past the search: the new-patient form
        assert app.screen.query_one("#name", Input).has_focus
        assert unmarked(app) == []
        # The field with the cursor is marked apart from the others.
        assert ends_drawn(app, app.screen.query_one("#name", Input)) == "▌▐"
        assert ends_drawn(app, app.screen.query_one("#birth_date", Input)) == "▏▕"
        await press(pilot, "escape", "s", "4")  # 'Left': asks why
        assert unmarked(app) == []


async def test_the_chart_forms_the_order_line_and_the_referral_show_empty_fields(
    cache: ClinicCache, no_color: None
) -> None:
    app = clinic_app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        for form_key in ("v", "n", "a"):  # vitals, note, allergy
            await press(pilot, form_key)
            assert unmarked(app) == [], form_key
            await press(pilot, "escape")
        await press(pilot, "m")  # the order line
        assert unmarked(app) == []
        await press(pilot, "escape", "r")
        # The referral's ICD-10 search shows when the reason is none of the problems.
        app.screen.query_one("#refer-reason", Select).value = OTHER_REASON
        await settle(pilot)
        assert app.screen.query_one("#refer-reason-query", Input) in empty_fields(app)
        assert unmarked(app) == []


async def test_the_lock_screen_search_shows_without_colour(tmp_path: Path, no_color: None) -> None:
    add_user(tmp_path, "dr-li", "李医生", "482916")
    app = queue_app(tmp_path)
    app.users = load_users(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert unmarked(app) == []


async def test_in_colour_the_fields_keep_their_shade_and_no_bars(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n")
        field = app.screen.query_one("#birth_date", Input)
        assert not set(ends_drawn(app, field)) & BARS


async def test_the_inbox_text_filter_shows_without_colour(tmp_path: Path, no_color: None) -> None:
    app = triage_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        assert app.screen.query_one("#triage-text", Input).has_focus
        assert unmarked(app) == []
