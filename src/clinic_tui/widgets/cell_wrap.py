"""CellWrap: Rich text wrapped in terminal cells, breaking Chinese between characters.

Rich wraps at spaces only: a Chinese sentence (no spaces) is one long "word" that a table
cell cuts with '…' or folds through an English word. Here a line may break at a space or
beside a wide (CJK) character, never before closing punctuation (，。）：) nor after opening
punctuation (（《“), never at a no-break space, and an English word is folded only when it
is wider than the whole line. Nothing is cut: every character is drawn.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

NO_BREAK_BEFORE = set("，。、；：？！）》」』】〕〉”’%),.;:!?]}·…")
"""Punctuation that never starts a line (it stays with the word before it)."""
NO_BREAK_AFTER = set("（《「『【〔〈“‘([{")
"""Punctuation that never ends a line (it stays with the word after it)."""
NO_BREAK_SPACE = "\u00a0"


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _may_break(before: str, after: str) -> bool:
    """Whether a line may end between these two characters (neither a newline)."""
    if NO_BREAK_SPACE in (before, after) or after.isspace():
        return False
    if after in NO_BREAK_BEFORE or before in NO_BREAK_AFTER:
        return False
    return before.isspace() or _wide(before) or _wide(after)


def _pieces(line: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each unbreakable piece with the spaces that follow it."""
    start = 0
    for index in range(1, len(line)):
        if _may_break(line[index - 1], line[index]):
            yield start, index
            start = index
    if line:
        yield start, len(line)


def break_offsets(line: str, width: int) -> list[int]:
    """Where one line (no newline) breaks to fit `width` cells: offsets into `line`."""
    offsets: list[int] = []
    used = 0
    for start, end in _pieces(line):
        shown = cell_len(line[start:end].rstrip())
        if used and used + shown > width:
            offsets.append(start)
            used = 0
        if shown > width:
            # An English word or code wider than the line: folded, character by character.
            for index in range(start, end):
                char_width = cell_len(line[index])
                if used and used + char_width > width and not line[index].isspace():
                    offsets.append(index)
                    used = 0
                used += char_width
            continue
        used += cell_len(line[start:end])
    return offsets


def wrap_cells(text: Text, width: int) -> list[Text]:
    """`text` as lines of at most `width` cells (trailing spaces dropped), styles kept."""
    width = max(1, width)
    lines: list[Text] = []
    for paragraph in text.split("\n", allow_blank=True):
        pieces = paragraph.divide(break_offsets(paragraph.plain, width))
        for piece in pieces:
            piece.rstrip()
            lines.append(piece)
    return lines


class CellWrap:
    """A Rich renderable: `text` wrapped at the width it is given, in terminal cells."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """One Text per wrapped line, each short enough never to be cut."""
        for line in wrap_cells(self.text, options.max_width):
            line.no_wrap = True
            line.overflow = "ignore"
            line.end = "\n"
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        """Its widest piece at least, its longest line at most."""
        paragraphs = self.text.plain.split("\n")
        widest = max(cell_len(p) for p in paragraphs)
        piece = max(
            (cell_len(p[s:e].rstrip()) for p in paragraphs for s, e in _pieces(p)), default=1
        )
        return Measurement(min(piece, options.max_width), min(widest, options.max_width))
