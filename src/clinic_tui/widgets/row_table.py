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
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

from clinic_tui.i18n import tr

CURSOR_MARK = "▶"
"""Shown on the selected row, beside the cursor's shade."""


def break_ring(cache: LRUCache[Any, Any]) -> None:
    """Empty every link of `cache`'s ring (then clear it): its entries go by reference count."""
    for link in cache._cache.values():
        link.clear()
    cache.clear()


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

    def _clear_caches(self) -> None:
        """Drop the drawn rows so that reference counting frees them at once.

        Textual's LRUCache keeps its entries in a circular linked list, and its clear()
        leaves that ring whole: every drawn line, cell and row of the table (tens of
        thousands of objects after a filter keystroke) became garbage only the cycle
        collector could free, which it then did in one long pause on a later keystroke.
        Emptying each link first breaks the ring.
        """
        for cache in (
            self._row_render_cache,
            self._cell_render_cache,
            self._row_renderable_cache,
            self._line_cache,
            self._offset_cache,
            self._ordered_row_cache,
        ):
            break_ring(cache)
        super()._clear_caches()

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
            self.set_cell(previous, self.MARK_COLUMN, self.mark_text(str(previous.value), False))
        if current is not None:
            self.set_cell(current, self.MARK_COLUMN, self.mark_text(str(current.value), True))

    def set_cell(self, row_key: RowKey | str, column_key: str, value: Text) -> None:
        """Put `value` in a cell of unchanged width, redrawing that row only, and nothing
        at all when the cell already shows it.

        DataTable.update_cell redraws the whole table: over a thin link each ↓ then cost
        the bytes of every row (8.8 kB at 80x24 against 0.8 kB for DataTable's own cursor
        move; benchmarks/bytes_per_keystroke.py). Textual is pinned to 8.2, whose
        DataTable keys its render caches on `_update_count`.
        """
        row = row_key if isinstance(row_key, RowKey) else RowKey(row_key)
        column = ColumnKey(column_key)
        if row not in self._row_locations or column not in self._column_locations:
            raise CellDoesNotExist(f"no cell at row {row.value!r}, column {column_key!r}")
        cells = self._data[row]
        if _same(cells.get(column), value):
            return
        cells[column] = value
        self._update_count += 1
        self.refresh_row(self._row_locations.get(row) or 0)  # present: checked above


def _same(shown: object, value: Text) -> bool:
    """The cell already shows `value`: the same words in the same styles."""
    return (
        isinstance(shown, Text)
        and shown.plain == value.plain
        and shown.style == value.style
        and shown.spans == value.spans
    )
