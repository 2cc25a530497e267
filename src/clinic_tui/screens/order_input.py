"""The order line: an Input whose drug completes from the formulary as the clinician types.

The candidates show in a small list beneath it (the screen owns the list). While the
list is shown, Tab or → at the end of the line takes the highlighted drug, ↑ ↓ move
the highlight; otherwise those keys do what they always do.
"""

from __future__ import annotations

import re
from typing import ClassVar

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

from clinic_tui.i18n import tr

_CJK = re.compile(r"[\u3400-\u9fff]")


def drug_query(text: str) -> str | None:
    """The drug part of a line still being typed (before any number); None once a dose begins."""
    if any(ch.isdigit() for ch in text):
        return None
    query = text.strip()
    return query or None


def has_cjk(text: str) -> bool:
    """True when `text` holds Chinese characters."""
    return _CJK.search(text) is not None


class OrderInput(Input):
    """An Input that hands Tab, → and ↑ ↓ to the drug list while one is shown."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("tab", "take", tr("Take the drug"), show=False),
        Binding("up", "move(-1)", tr("Previous drug"), show=False),
        Binding("down", "move(1)", tr("Next drug"), show=False),
        Binding("enter", "submit", tr("Add the line")),
        # With no drug list shown, ↓ leaves the line for the basket (s signs there).
        Binding("down", "screen.to_basket", tr("To the prescription"), key_display="↓"),
    ]

    suggesting = False
    """True while the screen shows drug candidates for this line."""
    waiting = False
    """True while a drug is being typed and completion is not ready yet: Tab is held for it,
    so keys typed ahead (Tab, then the dose) still land in the line."""

    class Take(Message):
        """Take the highlighted drug into the line."""

    class Move(Message):
        """Move the highlight in the drug list."""

        def __init__(self, delta: int) -> None:
            super().__init__()
            self.delta = delta

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tab and ↑ ↓ are the list's only while it is shown; else Tab moves on as usual."""
        if action == "take":
            return self.suggesting or self.waiting
        if action == "move":
            return self.suggesting
        if action == "screen.to_basket":
            return not self.suggesting
        return super().check_action(action, parameters)

    def action_take(self) -> None:
        """Tab: take the highlighted drug."""
        self.post_message(self.Take())

    def action_move(self, delta: int) -> None:
        """↑ ↓: move the highlight."""
        self.post_message(self.Move(delta))

    def action_cursor_right(self, select: bool = False) -> None:
        """→ at the end of the line takes the highlighted drug; elsewhere it moves the cursor."""
        if self.suggesting and self.cursor_at_end and not select:
            self.post_message(self.Take())
            return
        super().action_cursor_right(select)
