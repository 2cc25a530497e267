"""A dropdown whose list is built on first open still behaves as Textual's Select."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, Select
from textual.widgets._select import SelectOverlay

from clinic_tui.app import ClinicApp
from clinic_tui.widgets.key_select import KeySelect
from clinic_tui.widgets.lazy_select import LazySelect
from tests.ui.pilot import press, settle

pytestmark = pytest.mark.anyio

CHOICES = [("Routine", "routine"), ("Urgent", "urgent"), ("Emergency", "emergency")]


class PickApp(App[None]):
    """A field before two dropdowns, with the app's own stylesheet; records Changed."""

    CSS_PATH = ClinicApp.CSS_PATH

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[tuple[str | None, object]] = []

    def compose(self) -> ComposeResult:
        yield Input(id="before")
        yield LazySelect(CHOICES, id="pick", value="urgent", allow_blank=False, compact=True)
        yield KeySelect(CHOICES, id="keyed", prompt="—", compact=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        self.changes.append((event.select.id, event.value))


def line(app: App[Any], widget_id: str) -> str:
    """The dropdown's closed line as the terminal shows it."""
    widget = app.query_one(f"#{widget_id}")
    strips = app.screen._compositor.render_strips()
    return strips[widget.region.y].crop(widget.region.x, widget.region.right).text


async def test_a_closed_dropdown_has_no_list_yet_but_shows_its_value() -> None:
    app = PickApp()
    async with app.run_test(size=(50, 10)) as pilot:
        await settle(pilot)
        assert not app.query(SelectOverlay)
        assert "Urgent" in line(app, "pick")
        assert "—" in line(app, "keyed")
        # Select's own first Changed (its value set as it mounts) still comes.
        assert ("pick", "urgent") in app.changes
        assert app.query_one("#pick", Select).value == "urgent"


async def test_enter_builds_the_list_on_the_current_choice_and_arrows_choose() -> None:
    app = PickApp()
    async with app.run_test(size=(50, 12)) as pilot:
        await settle(pilot)
        pick = app.query_one("#pick", LazySelect)
        pick.focus()
        await press(pilot, "enter")
        overlay = pick.query_one(SelectOverlay)
        assert pick.expanded
        assert overlay.has_focus
        assert overlay.option_count == len(CHOICES)
        assert overlay.highlighted == 1  # the current value, as Select does
        await press(pilot, "down", "enter")
        assert pick.value == "emergency"
        assert not pick.expanded
        assert pick.has_focus
        assert "Emergency" in line(app, "pick")
        assert app.changes[-1] == ("pick", "emergency")
        # Opened again, the same list (built once) is on the new value; Esc closes it.
        await press(pilot, "enter")
        assert len(pick.query(SelectOverlay)) == 1
        assert pick.query_one(SelectOverlay).highlighted == 2
        await press(pilot, "escape")
        assert not pick.expanded
        assert pick.value == "emergency"


async def test_typing_in_the_opened_list_jumps_and_new_options_reach_it() -> None:
    app = PickApp()
    async with app.run_test(size=(50, 12)) as pilot:
        await settle(pilot)
        pick = app.query_one("#pick", LazySelect)
        pick.set_options([("Later", "later"), ("Now", "now")])  # before the list exists
        assert pick.value == "later"
        assert "Later" in line(app, "pick")
        pick.focus()
        await press(pilot, "space", "n", "enter")
        assert pick.value == "now"
        pick.set_options(CHOICES)  # after: the built list is refilled
        await press(pilot, "enter")
        assert pick.query_one(SelectOverlay).option_count == len(CHOICES)


async def test_a_burst_on_a_closed_key_select_lands_in_order() -> None:
    app = PickApp()
    async with app.run_test(size=(50, 12)) as pilot:
        await settle(pilot)
        app.query_one("#keyed").focus()
        # 'e' picks Emergency while closed; 'x' matches nothing and opens the list,
        # built there and then; 'r' then jumps in it and Enter takes Routine.
        await pilot.press("e", "x", "r", "enter")
        await settle(pilot)
        keyed = app.query_one("#keyed", KeySelect)
        assert keyed.value == "routine"
        assert not keyed.expanded


async def test_a_click_on_the_closed_line_opens_the_list() -> None:
    app = PickApp()
    async with app.run_test(size=(50, 12)) as pilot:
        await settle(pilot)
        await pilot.click("#keyed")
        await settle(pilot)
        keyed = app.query_one("#keyed", KeySelect)
        assert keyed.expanded
        assert keyed.query_one(SelectOverlay).option_count == len(CHOICES) + 1  # the blank
