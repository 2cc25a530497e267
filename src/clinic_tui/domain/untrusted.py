"""The trust boundary for text from outside: the server, an import file, another workstation.

Such text is data typed by someone else. It may hold terminal escape sequences (OSC 52 writes
the clipboard, CSI 2J blanks the screen, OSC 8 makes links), C1 controls that some terminals
read as CSI, bidi overrides that reverse what the clinician reads, and lone surrogates that
cannot be encoded at all. `clean` makes each of them harmless and visible, so a clinician
sees that something odd is in the record instead of having the terminal obey it:

- C0 controls (but newline and tab) and DEL become their Control Pictures (ESC -> ␛, NUL -> ␀),
- C1 controls (U+0080..U+009F) and lone surrogates become U+FFFD,
- bidi embeddings, overrides, isolates and marks are removed (they have no visible meaning,
  and an override is how `txt.exe` is shown as `exe.txt`),
- line and paragraph separators (U+2028/2029) and other line breaks become newlines.

`clean` is applied where text enters the cache (the sync download, imports) and again where
any text is drawn or printed (screens, the command line, slips): belt and braces, because a
cache written by an older version, or a field read straight from JSON, skips the first.
Pure Python: no Textual, no Rich; the screens' helper that turns data into Text is
`clinic_tui.widgets.data_text`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ELLIPSIS = "…"

_BIDI_CONTROLS = (
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
)
_OTHER_LINE_BREAKS = "\u0085\u2028\u2029"  # NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR

# Everything that is not plain printable text (newline and tab kept).
_UNSAFE = re.compile(
    "["
    "\x00-\x08\x0b-\x1f\x7f"  # C0 but tab (09) and newline (0a), and DEL
    "\x80-\x9f"  # C1 (includes NEL, handled first)
    + _BIDI_CONTROLS
    + "\u2028\u2029"
    + "\ud800-\udfff"  # lone surrogates (a JSON "\\ud800" decodes to one)
    + "]"
)
_UNSAFE_ONE_LINE = re.compile("[\t\n]")


def _replacement(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    if character in _OTHER_LINE_BREAKS:
        return "\n"
    if character in _BIDI_CONTROLS:
        return ""
    if code == 0x7F:
        return "\u2421"  # ␡
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟ (ESC -> ␛)
    return "\ufffd"


def clean(text: str, limit: int | None = None) -> str:
    """`text` with control characters made visible and bidi controls removed; at most
    `limit` characters (the last one an ellipsis) when a limit is given."""
    if not isinstance(text, str):
        text = str(text)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if _UNSAFE.search(text) is not None:
        text = _UNSAFE.sub(_replacement, text)
    if limit is not None:
        text = cap(text, limit)
    return text


def clean_line(text: str, limit: int | None = None) -> str:
    """`clean`, on one line: newlines and tabs become spaces (names, table cells, titles)."""
    text = clean(text)
    if "\n" in text or "\t" in text:
        text = _UNSAFE_ONE_LINE.sub(" ", text)
    if limit is not None:
        text = cap(text, limit)
    return text


def cap(text: str, limit: int) -> str:
    """At most `limit` characters: a longer text keeps `limit - 1` and ends with an ellipsis."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def is_clean(text: str) -> bool:
    """True when `clean` would leave `text` as it is (no control, bidi or surrogate in it)."""
    return "\r\n" not in text and _UNSAFE.search(text) is None


def clean_json(value: Any) -> Any:
    """A JSON value (a FHIR resource) with `clean` applied to every string, keys included.

    Returns the same object when nothing needed cleaning, so the common case allocates
    nothing new.
    """
    if isinstance(value, str):
        return value if is_clean(value) else clean(value)
    if isinstance(value, Mapping):
        changed = False
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            new_key = clean_json(key) if isinstance(key, str) else key
            new_item = clean_json(item)
            changed = changed or new_key is not key or new_item is not item
            cleaned[new_key] = new_item
        return cleaned if changed else value
    if isinstance(value, list):
        items = [clean_json(item) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return items
        return value
    return value
