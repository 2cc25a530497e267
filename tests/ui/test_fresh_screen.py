"""A dialog opens without laying out the screen beneath again, redrawing its background
or rebuilding its footer."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console, ConsoleOptions, RenderResult
from textual.app import App, ComposeResult
from textual.renderables.background_screen import BackgroundScreen
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from clinic_tui.screens.fresh_screen import StyledOnce
from clinic_tui.widgets.key_footer import KeyFooter
from tests.ui.pilot import settle

pytestmark = pytest.mark.anyio


class Dialog(StyledOnce, ModalScreen[None]):
    """A small dialog over the app's screen."""

    def compose(self) -> ComposeResult:
        yield Input(id="field")


class Host(App[None]):
    """One screen with some text, under the dialog."""

    CSS = "Dialog Input { width: 20; }"

    def compose(self) -> ComposeResult:
        yield Static("the screen beneath " * 20)


def counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count drawings of a dialog's dimmed background and layouts of each screen."""
    counts = {"background": 0, "beneath": 0}
    draw = BackgroundScreen.__rich_console__

    def drawn(self: BackgroundScreen, console: Console, options: ConsoleOptions) -> RenderResult:
        counts["background"] += 1
        return draw(self, console, options)

    layout = Screen._refresh_layout

    def laid_out(self: Screen[Any], *args: Any, **kwargs: Any) -> None:
        if not isinstance(self, Dialog):
            counts["beneath"] += 1
        layout(self, *args, **kwargs)

    monkeypatch.setattr(BackgroundScreen, "__rich_console__", drawn)
    monkeypatch.setattr(Screen, "_refresh_layout", laid_out)
    return counts


async def test_opening_draws_the_background_once_and_leaves_the_screen_beneath(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = Host()
    async with app.run_test(size=(60, 12)) as pilot:
        await settle(pilot)
        counts = counting(monkeypatch)
        await app.push_screen(Dialog())
        await settle(pilot)
        app.screen.query_one("#field", Input).focus()
        await pilot.press(*"typed")
        await settle(pilot)
        assert app.screen.query_one("#field", Input).value == "typed"
        assert counts == {"background": 1, "beneath": 0}
        # The dimmed screen beneath is still shown (tinted, not blank).
        strips = app.screen._compositor.render_strips()
        assert "the screen beneath" in "".join(strip.text for strip in strips)


async def test_a_new_size_lays_out_and_draws_again(monkeypatch: pytest.MonkeyPatch) -> None:
    app = Host()
    async with app.run_test(size=(60, 12)) as pilot:
        await app.push_screen(Dialog())
        await settle(pilot)
        counts = counting(monkeypatch)
        await pilot.resize_terminal(70, 14)
        await settle(pilot)
        assert counts["beneath"] >= 1
        assert counts["background"] == 1
        strips = app.screen._compositor.render_strips()
        assert len(strips) == 14
        assert strips[0].cell_length == 70


class FooterDialog(StyledOnce, ModalScreen[None]):
    """A dialog with its keys in a footer."""

    BINDINGS = [("ctrl+s", "save", "Save"), ("escape", "app.pop_screen", "Cancel")]

    def compose(self) -> ComposeResult:
        yield Input(id="field")
        yield KeyFooter()

    def action_save(self) -> None:
        """Nothing to save here."""


async def test_a_footer_is_made_with_its_keys_not_rebuilt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rebuilt: list[KeyFooter] = []
    recompose = KeyFooter.recompose

    async def counted(self: KeyFooter) -> None:
        rebuilt.append(self)
        await recompose(self)

    monkeypatch.setattr(KeyFooter, "recompose", counted)
    app = Host()
    async with app.run_test(size=(80, 12)) as pilot:
        await app.push_screen(FooterDialog())
        await settle(pilot)
        keys = [key.description for key in app.screen.query(FooterKey) if key.display]
        assert "Save" in keys
        assert "Cancel" in keys
        assert rebuilt == []
        # A binding that changes still rebuilds it.
        app.screen._bindings.bind("ctrl+p", "app.bell", "Ring")
        app.screen.refresh_bindings()
        await settle(pilot)
        assert len(rebuilt) == 1
        assert "Ring" in [key.description for key in app.screen.query(FooterKey)]
