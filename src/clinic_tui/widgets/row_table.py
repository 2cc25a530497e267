"""RowTable: a row-cursor DataTable whose selected row carries a text marker.

The cursor's shade alone disappears with NO_COLOR or on a monochrome terminal,
so the selected row also shows `CURSOR_MARK` in its marker column. Home and End
go to the first and last row (DataTable's own Home/End scroll sideways, which a
row table never needs).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from clinic_tui.i18n import add_translations, tr

add_translations({"First row": "第一行", "Last row": "最后一行"})

CURSOR_MARK = "▶"
"""Shown on the selected row, beside the cursor's shade."""


class RowTable(DataTable[Any]):
    """A table of records, one per row, with a visible marker on the selected one."""

    MARK_COLUMN: ClassVar[str] = "mark"
    """Key of the column that holds the marker (the subclass adds it, usually first)."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("home", "scroll_top", tr("First row"), show=False),
        Binding("end", "scroll_bottom", tr("Last row"), show=False),
    ]

    def __init__(self, *, id: str | None = None, zebra_stripes: bool = False) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=zebra_stripes)
        self._marked: RowKey | None = None

    def mark_text(self, row_key: str, selected: bool) -> Text:
        """The marker cell of `row_key`; subclasses may add their own marks beside it."""
        return Text(CURSOR_MARK if selected else " ", style="bold")

    def clear(self, columns: bool = False) -> RowTable:
        """Empty the table; no row is marked any more."""
        self._marked = None
        super().clear(columns)
        return self

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        """Move the marker with the cursor."""
        super().watch_cursor_coordinate(old, new)
        self.refresh_marker()

    def cursor_row_key(self) -> RowKey | None:
        """Key of the row under the cursor; None for an empty table."""
        if not self.row_count or not 0 <= self.cursor_row < self.row_count:
            return None
        return self.ordered_rows[self.cursor_row].key

    def refresh_marker(self) -> None:
        """Put the marker on the cursor's row (and take it off the row that had it)."""
        if self.MARK_COLUMN not in self.columns:
            return
        current = self.cursor_row_key()
        if current is not None and current not in self._data:
            return  # a row being added moved the cursor before its cells exist; show() marks it
        previous, self._marked = self._marked, current
        if previous is not None and previous != current and previous in self._data:
            self.update_cell(previous, self.MARK_COLUMN, self.mark_text(str(previous.value), False))
        if current is not None:
            self.update_cell(current, self.MARK_COLUMN, self.mark_text(str(current.value), True))
