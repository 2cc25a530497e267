"""TickBox: a Checkbox whose state shows in its glyph, not only in its colour.

Textual's Checkbox always draws `▐X▌` and tells on from off by the X's colour alone:
under NO_COLOR, on a monochrome terminal or to a colour-blind eye a ticked box and an
empty one look the same. This one draws `▐X▌` when ticked and `▐ ▌` when not.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox

TICKED = "X"
UNTICKED = " "


class TickBox(Checkbox):
    """A Checkbox that is empty when off."""

    @property
    def _button(self) -> Content:
        # BUTTON_INNER is read by the parent's drawing of the button: set per instance.
        self.BUTTON_INNER = TICKED if self.value else UNTICKED
        return super()._button
