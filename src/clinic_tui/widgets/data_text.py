"""Data drawn on screen: text from the cache or the server as Rich Text, never as markup.

Every value a clinician did not type on this screen (a name, a note, a reason, a message,
a formulary row) is drawn through these helpers: `clean` (the trust boundary,
domain/untrusted.py) makes control characters visible and removes bidi controls, and the
result is a `Text`, which Textual draws as it is: `[@click=app.quit]` or `[bold]` in a
name stays those characters. A widget given a plain `str` would parse it as markup.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from clinic_tui.domain.untrusted import clean, clean_line

NAME_LIMIT = 200
"""A name is drawn with at most this many characters: a 1 MB name never fills the chart."""
LINE_LIMIT = 2_000
"""One line of data (a reason, a title) is drawn with at most this many characters."""
BLOCK_LIMIT = 20_000
"""A block of data (a note, a message, a summary) is drawn with at most this many characters."""


def data_text(value: object, style: str | Style = "", *, limit: int = LINE_LIMIT) -> Text:
    """One line of outside data as Text: controls visible, newlines as spaces, capped."""
    return Text(clean_line("" if value is None else str(value), limit), style=style)


def data_block(value: object, style: str | Style = "", *, limit: int = BLOCK_LIMIT) -> Text:
    """Several lines of outside data as Text: controls visible, newlines kept, capped."""
    return Text(clean("" if value is None else str(value), limit), style=style)


def name_text(value: object, style: str | Style = "") -> Text:
    """A person's or a clinic's name as Text, at most NAME_LIMIT characters on one line."""
    return data_text(value, style, limit=NAME_LIMIT)
