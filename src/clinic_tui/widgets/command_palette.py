"""Textual's command palette with its own two English phrases in the session's language."""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from clinic_tui.i18n import tr


class TranslatedCommandPalette(CommandPalette):
    """The palette whose prompt and 'No matches found' line are translated."""

    def __init__(self) -> None:
        super().__init__(placeholder=tr("Search for commands…"), id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual builds 'No matches found' inside this method: the same steps, its words
        # through tr().
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(tr("No matches found"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
