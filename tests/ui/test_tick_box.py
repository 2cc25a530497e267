"""A tick box and an open Select say their state without colour (NO_COLOR, monochrome)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from clinic_tui.app import ClinicApp
from clinic_tui.widgets.tick_box import TickBox
from tests.ui.pilot import press, settle

pytestmark = pytest.mark.anyio


class BoxApp(App[None]):
    """One tick box and one Select, with the app's own stylesheet."""

    CSS_PATH = ClinicApp.CSS_PATH

    def compose(self) -> ComposeResult:
        yield TickBox("Teleconsultation instead", id="box", compact=True)
        yield Select([("Routine", "routine"), ("Urgent", "urgent")], id="pick", compact=True)


def drawn(app: App[Any], widget_id: str) -> str:
    """The widget's first line as the terminal shows it."""
    widget = app.query_one(f"#{widget_id}")
    strips = app.screen._compositor.render_strips()
    region = widget.region
    return strips[region.y].crop(region.x, region.right).text


async def test_the_box_is_empty_when_off_and_ticked_when_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = BoxApp()
    async with app.run_test(size=(60, 8)) as pilot:
        await settle(pilot)
        assert "▐ ▌" in drawn(app, "box")
        app.query_one(TickBox).focus()
        await press(pilot, "space")
        assert app.query_one(TickBox).value
        assert "▐X▌" in drawn(app, "box")


async def test_an_open_selects_highlighted_choice_is_reversed_without_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = BoxApp()
    async with app.run_test(size=(60, 8)) as pilot:
        await settle(pilot)
        app.query_one(Select).focus()
        await press(pilot, "enter")
        overlay = app.query_one(SelectOverlay)
        style = overlay.get_component_rich_style("option-list--option-highlighted")
        assert style.reverse
