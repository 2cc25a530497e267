"""NoticeLine: the screen's message line, where notices go instead of floating toasts.

A toast floats over the bottom right of the screen, which on the queue is the
priority, status and wait of the last rows. A NoticeLine has a row of its own,
so a notice never covers data. Errors and warnings start with `!` (colour is
never the only signal) and stay a little longer.
"""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from clinic_tui.domain.untrusted import clean_line
from clinic_tui.widgets.data_text import LINE_LIMIT

ERROR_MARK = "!"
"""Starts an error or warning notice, so it reads as one without colour."""


class NoticeLine(Static):
    """One line of notices; empty when there is nothing to say."""

    DEFAULT_CSS = """
    NoticeLine {
        height: 1;
        padding: 0 1;
        color: $text-success;
    }
    NoticeLine.-error {
        color: $text-error;
        text-style: bold;
    }
    NoticeLine.-warning {
        color: $text-warning;
        text-style: bold;
    }
    NoticeLine.-collapsing {
        display: none;
    }
    NoticeLine.-collapsing.-shown {
        display: block;
    }
    """

    def __init__(self, *, collapse: bool = False, id: str | None = None) -> None:
        super().__init__("", id=id, classes="-collapsing" if collapse else "")
        self.message = ""
        """The notice on display ('' when none)."""
        self._timer: Timer | None = None

    def show(self, message: str, severity: str = "information", timeout: float | None = 5) -> None:
        """Show plain-text `message` for `timeout` seconds (None: until replaced)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        alarming = severity in ("error", "warning")
        if alarming and not message.startswith(ERROR_MARK):
            message = f"{ERROR_MARK} {message}"
        self.message = message
        self.set_class(severity == "error", "-error")
        self.set_class(severity == "warning", "-warning")
        self.set_class(bool(message), "-shown")
        # Messages quote data (a name, a server's error): Text, never markup, controls visible.
        self.update(Text(clean_line(message, LINE_LIMIT), no_wrap=True, overflow="ellipsis"))
        if message and timeout is not None:
            self._timer = self.set_timer(timeout, self.clear)

    def clear(self) -> None:
        """Say nothing."""
        self.show("", timeout=None)
