"""UI tests draw the cursor steadily: a blink is a timer, and a snapshot taken while a loaded
machine lets the 0.5 s tick fire would catch the cursor hidden (a failure by timing luck)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cursor of every Input and TextArea stays visible: its blink timer does nothing."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
