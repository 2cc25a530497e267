"""What makes forms open quickly keeps them right: one styling pass, no focus stop on the
fields' scroll, the forms' code imported by the start-up's warm-up (benchmarks/form_open.py
has the figures; nothing here is timed)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Input

from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.screens import preload
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.chart_form import ChartForm
from clinic_tui.screens.fresh_screen import StyledOnce
from clinic_tui.screens.queue import QueueScreen
from tests.ui.chart_fixtures import fill_cache, fixed_clock
from tests.ui.chart_host import ChartHostApp
from tests.ui.pilot import press, settle
from tests.ui.queue_app import queue_app

pytestmark = pytest.mark.anyio

FORM_KEYS = ("a", "v", "n", "d", "r")
"""Allergy, vitals, note, diagnosis, referral: every chart form with its own key."""


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The fixture patients; p-allergic is in today's queue (visit e-1)."""
    fill_cache(engine)
    return ClinicCache(engine)


def _looks(screen: Screen[Any]) -> list[tuple[str, str, object, object]]:
    """Each node's applied CSS rules and the style it draws with, in DOM order."""
    nodes: list[DOMNode] = list(screen.walk_children(with_self=True))
    return [
        (type(node).__name__, str(node.id), node.styles.base.get_rules(), node.rich_style)
        for node in nodes
    ]


@pytest.mark.parametrize("key", FORM_KEYS)
async def test_a_form_styled_once_looks_as_it_does_after_a_full_restyle(
    cache: ClinicCache, key: str
) -> None:
    # The first ScreenResume's second styling pass is skipped (screens/fresh_screen.py):
    # a full restyle afterwards changes nothing on any node.
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        restyled: list[DOMNode] = []
        update_styles = app.update_styles

        def spy(node: DOMNode, animate: bool = True) -> None:
            restyled.append(node)
            update_styles(node, animate)

        app.update_styles = spy  # type: ignore[method-assign]
        await press(pilot, key)
        form = app.screen
        assert isinstance(form, ChartForm)
        assert isinstance(form, StyledOnce)
        assert form not in restyled  # styled as it mounted, not a second time whole
        before = _looks(form)
        app.stylesheet.update_nodes(form.walk_children(with_self=True), animate=False)
        await settle(pilot)
        assert _looks(form) == before


async def test_a_dialog_closing_over_a_form_restyles_it_as_textual_does(
    cache: ClinicCache,
) -> None:
    # Only the first resume skips the pass: the discard question closing over the form
    # resumes it with Textual's own choice, and Escape, y still close it.
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _open(pilot, "v")
        form = app.screen
        form.query_one(Input).focus()
        await press(pilot, "3")
        await press(pilot, "escape")  # changed: the question
        assert app.screen is not form
        await press(pilot, "n")  # keep editing
        assert app.screen is form
        assert form.query_one(Input).value == "3"
        await press(pilot, "escape", "y")
        assert app.screen is chart


async def _open(pilot: Any, key: str) -> ChartScreen:
    await settle(pilot)
    chart = pilot.app.screen
    assert isinstance(chart, ChartScreen)
    await press(pilot, key)
    assert isinstance(pilot.app.screen, ChartForm)
    return chart


@pytest.mark.parametrize("key", FORM_KEYS)
async def test_the_first_field_takes_the_cursor_and_tab_never_stops_on_the_fields_scroll(
    cache: ClinicCache, key: str
) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, key)
        form = app.screen
        scroll = form.query_one(".form-fields", VerticalScroll)
        assert not scroll.can_focus
        first = form.focused
        assert first is not None
        assert first in scroll.walk_children()  # a field, not the scroll around them
        seen = []
        for _ in range(12):
            await pilot.press("tab")
            seen.append(form.focused)
        assert scroll not in seen


async def test_the_start_up_warm_up_imports_every_form_and_dialog(tmp_path: Path) -> None:
    # The queue's background warm-up (after the ORM) imports the forms' modules, so the
    # first press of a form's key waits for no import.
    preload.imported.clear()
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        for _ in range(400):  # the warm-up starts half a second after the queue shows
            if preload.imported.is_set():
                break
            await pilot.pause(0.05)
        assert preload.imported.is_set()
        await settle(pilot)
    assert all(name in sys.modules for name in preload.MODULES)


def test_a_module_that_fails_to_import_is_left_for_its_key(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    missing = "clinic_tui.screens.no_such_form"
    monkeypatch.setattr(preload, "MODULES", (missing, "clinic_tui.screens.vitals_form"))
    preload.imported.clear()
    with caplog.at_level(logging.DEBUG, logger=preload.__name__):
        preload.import_forms()
    assert preload.imported.is_set()
    assert "clinic_tui.screens.vitals_form" in sys.modules
    assert missing not in sys.modules
    assert any(missing in record.getMessage() for record in caplog.records)
