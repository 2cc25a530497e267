"""OrderedKeysApp against Textual's own App: four Inputs, and keys posted as one burst.

The driver posts every key of a terminal read to the app before the app handles the
first; posting them here in one go, with no await between, does the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input

from clinic_tui.ordered_keys import KeyDone, OrderedKeysApp
from tests.ui.pilot import settle

pytestmark = pytest.mark.anyio

FIELDS = ("birth", "identifier", "phone", "complaint")
BURST = ["1990-03-07", "110101199003071233", "13812345678", "发热"]


def keys_of(text: str) -> list[events.Key]:
    """Key events as the driver makes them from typed characters."""
    names = {"\t": "tab", "\r": "enter", "-": "minus"}
    return [events.Key(names.get(char, char), None if char in "\t\r" else char) for char in text]


def burst(app: App[Any], text: str) -> None:
    """Post the keys of `text` to the app in one go, as the driver does with one read."""
    for key in keys_of(text):
        app.post_message(key)


class FourInputs(App[None]):
    """A bare Textual app: four Inputs, Tab moves on, Enter moves on too."""

    def compose(self) -> ComposeResult:
        """Four fields in a column."""
        for field in FIELDS:
            yield Input(id=field)

    def on_mount(self) -> None:
        """The first field takes the cursor."""
        self.query_one(Input).focus()

    def on_input_submitted(self) -> None:
        """Enter moves to the next field, as on the walk-in form."""
        self.screen.focus_next()

    def values(self) -> list[str]:
        """The four fields' text."""
        return [self.query_one(f"#{field}", Input).value for field in FIELDS]


class OrderedFourInputs(OrderedKeysApp[None], FourInputs):
    """The same app with the keys of a burst handed on in order."""


async def test_textual_alone_still_puts_a_burst_in_the_first_field() -> None:
    # Canary for the upstream bug: when this fails, Textual forwards keys in order itself.
    app = FourInputs()
    async with app.run_test() as pilot:
        burst(app, "\t".join(BURST))
        await settle(pilot)
        assert app.values()[0] == "".join(BURST)


@pytest.mark.parametrize("separator", ["\t", "\r"])
async def test_a_burst_lands_field_by_field(separator: str) -> None:
    app = OrderedFourInputs()
    async with app.run_test() as pilot:
        burst(app, separator.join(BURST))
        await settle(pilot)
        assert app.values() == BURST


async def test_keys_typed_one_at_a_time_still_work() -> None:
    app = OrderedFourInputs()
    async with app.run_test() as pilot:
        await pilot.press(*"12", "tab", *"34")
        await settle(pilot)
        assert app.values() == ["12", "34", "", ""]


class Note(ModalScreen[str]):
    """A one-field dialog that Enter closes with what was typed."""

    def compose(self) -> ComposeResult:
        """The field."""
        yield Input(id="note")

    def on_mount(self) -> None:
        """Type straight in."""
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Close with the text."""
        event.stop()
        self.dismiss(event.value)


class OrderedWithDialog(OrderedFourInputs):
    """ctrl+n opens a note (a priority binding); what it returns goes into the focused field."""

    BINDINGS = [Binding("ctrl+n", "note", priority=True)]

    def action_note(self) -> None:
        """Open the note over the form."""
        target = self.focused
        assert isinstance(target, Input)

        def put(text: str | None) -> None:
            target.value = text or ""

        self.push_screen(Note(), put)


async def test_keys_after_a_dialog_opens_and_closes_in_the_burst_land_in_order() -> None:
    app = OrderedWithDialog()
    async with app.run_test() as pilot:
        app.post_message(events.Key("ctrl+n", None))
        burst(app, "abc\r\t77")
        await settle(pilot)
        assert app.values() == ["abc", "77", "", ""]


class ClosingBox(Vertical):
    """A container that takes no more messages, as one closing under a key would."""

    def check_message_enabled(self, message: Message) -> bool:
        """Refuse the follower that would tell the app the key is done."""
        return not isinstance(message, KeyDone) and super().check_message_enabled(message)


class OrderedWithClosingBox(OrderedKeysApp[None]):
    """A field inside the closing box, and one outside it."""

    def compose(self) -> ComposeResult:
        """Two fields."""
        with ClosingBox():
            yield Input(id="inside")
        yield Input(id="outside")

    def on_mount(self) -> None:
        """The field in the box has the cursor."""
        self.query_one("#inside").focus()


async def test_keys_held_behind_a_lost_key_go_on_when_the_watchdog_fires() -> None:
    app = OrderedWithClosingBox()
    async with app.run_test() as pilot:
        burst(app, "1\t2")
        await settle(pilot)
        # The box loses every follower: after "1" the rest waits (STUCK_SECONDS, 0.3 s)...
        assert app.query_one("#inside", Input).value == "1"
        assert app.query_one("#outside", Input).value == ""
        assert app._watchdog is not None
        for _ in ("after 1", "after tab"):  # ...then the watchdog hands on the next key
            app.call_later(app.release_held_keys)
            await settle(pilot)
        assert app.query_one("#outside", Input).value == "2"


async def test_a_backspace_in_a_burst_deletes_what_was_typed_before_it() -> None:
    # Input's own bindings (backspace, arrows) run when the key is back at the app, after
    # the printable keys behind it were inserted (Textual issue 6605 has the same cause).
    bare, ordered = FourInputs(), OrderedFourInputs()
    for app, expected in ((bare, "ab"), (ordered, "ac")):
        async with app.run_test() as pilot:
            for key in ("a", "b", "backspace", "c"):
                app.post_message(events.Key(key, None if key == "backspace" else key))
            await settle(pilot)
            assert app.values()[0] == expected, type(app).__name__


class SettlingForm(OrderedFourInputs):
    """The four fields; the app holds keys until the test says the screen has settled, as
    the walk-in form does while it mounts its optional details."""

    def on_mount(self) -> None:
        """The screen in front holds its keys, as a form still mounting does."""
        self.screen.holds_keys = True  # type: ignore[attr-defined]

    async def settled(self) -> None:
        """The screen is complete: the keys typed meanwhile go on."""
        self.screen.holds_keys = False  # type: ignore[attr-defined]
        await self.keys_may_go_on()


async def test_a_burst_typed_while_the_screen_settles_waits_then_lands_in_order() -> None:
    app = SettlingForm()
    async with app.run_test() as pilot:
        await settle(pilot)
        burst(app, "王测试\t1990-03-07\t13812345678")
        await settle(pilot)
        assert app.values() == ["", "", "", ""], "nothing lands before the screen has settled"
        await app.settled()
        await settle(pilot)
        assert app.values() == ["王测试", "1990-03-07", "13812345678", ""]
