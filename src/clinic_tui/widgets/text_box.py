"""TextBox: a TextArea whose ctrl+home / ctrl+end go to the start / end of the whole text.

Textual's TextArea moves to the start or end of the line only, so a doctor adding a line
under an assembled summary had to page down through it. Every free-text box of a form
(summary, notes, messages) uses this.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import TextArea

from clinic_tui.i18n import N_


class TextBox(TextArea):
    """A TextArea with whole-text ctrl+home and ctrl+end."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+home", "text_start", N_("Start of text"), show=False),
        Binding("ctrl+end", "text_end", N_("End of text"), show=False),
    ]

    def action_text_start(self) -> None:
        """Move the cursor to the first character of the text."""
        self.move_cursor((0, 0))

    def action_text_end(self) -> None:
        """Move the cursor after the last character of the text."""
        self.move_cursor(self.document.end)
