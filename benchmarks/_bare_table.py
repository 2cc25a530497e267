"""The baseline of bytes_per_keystroke.py: a bare Textual DataTable app with today's queue rows.

The same keys do the same kinds of thing as in clinic-tui, with nothing of ours: ↓ moves
the cursor, Enter opens a screen about the row (the "chart"), `/` opens a screen with one
Input (the "search"), Esc goes back.

    .venv/bin/python benchmarks/_bare_table.py --data-dir DIR
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.clinic_cache import ClinicCache


class Back(Screen[None]):
    """A screen Esc closes."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]


class RowScreen(Back):
    """The row's cells, one a line: the bare app's 'chart'."""

    def __init__(self, cells: list[str]) -> None:
        super().__init__()
        self.cells = cells

    def compose(self) -> ComposeResult:
        """The cells, then the footer."""
        yield Static("Allergies\n" + "\n".join(self.cells))
        yield Footer()


class SearchScreen(Back):
    """One Input: the bare app's 'search'."""

    def compose(self) -> ComposeResult:
        """A title, the input, the footer."""
        yield Static("Find patient")
        yield Input(placeholder="name")
        yield Footer()


class BareTable(App[None]):
    """A DataTable of the queue's rows."""

    BINDINGS = [Binding("slash", "search", "Search"), Binding("n", "open", "Call next")]

    def __init__(self, rows: list[list[str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        """The table and the footer."""
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        """Fill the table."""
        table = self.query_one(DataTable)
        table.add_columns("No.", "Name", "Sex/Age", "Chief complaint", "Priority", "Status")
        table.add_rows(self.rows)
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter: the row's screen."""
        self.push_screen(RowScreen(self.rows[event.cursor_row]))

    def action_open(self) -> None:
        """n: the selected row's screen."""
        self.push_screen(RowScreen(self.rows[self.query_one(DataTable).cursor_row]))

    def action_search(self) -> None:
        """/: the search screen."""
        self.push_screen(SearchScreen())


def queue_rows(data_dir: str) -> list[list[str]]:
    """Today's queue as the cells clinic-tui shows (words, not styles)."""
    cache = ClinicCache(cache_path(Path(data_dir)))
    entries = cache.queue_today(date.today())
    return [
        [
            str(entry.number),
            entry.patient_name,
            f"{entry.gender.value[:1].upper()} {entry.birth_date or ''}",
            entry.chief_complaint,
            entry.priority.value,
            entry.status.value,
        ]
        for entry in entries
    ]


def main() -> None:
    """Run the bare app on the cache's queue."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args()
    BareTable(queue_rows(args.data_dir)).run()


if __name__ == "__main__":
    main()
