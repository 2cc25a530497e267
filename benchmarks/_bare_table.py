"""The baseline of bytes_per_keystroke.py: a bare Textual DataTable app with today's queue rows.

The same keys do the same kinds of thing as in clinic-tui, with nothing of ours: ↓ moves
the cursor, Enter opens a screen about the row (the "chart"), `/` opens a screen with an
Input and a result list (the "search": each keystroke searches the same cache the same
way, at once, and fills a DataTable with Textual's defaults: clear, add the rows), Esc
goes back. With --input-only the search screen has the Input alone (the baseline before
2026-12-07, which had no result list to redraw).

    .venv/bin/python benchmarks/_bare_table.py --data-dir DIR [--input-only]
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


def _years(born: date | None) -> str:
    """Age in whole years ('45y'), as wide as the clinic's column says it."""
    if born is None:
        return ""
    today = date.today()
    return f"{today.year - born.year - ((today.month, today.day) < (born.month, born.day))}y"


class SearchScreen(Back):
    """An Input and the patients it finds: the bare app's 'search'."""

    def __init__(self, cache: ClinicCache | None) -> None:
        super().__init__()
        self.cache = cache

    def compose(self) -> ComposeResult:
        """A title, the input, the results (unless input-only), the footer."""
        yield Static("Find patient")
        yield Input(placeholder="name")
        if self.cache is not None:
            table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("Name", "Sex/Age", "Birth date", "Identity number", "Phone")
            yield table
        yield Footer()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Search at each keystroke and show what it finds (Textual's defaults)."""
        if self.cache is None:
            return
        table = self.query_one(DataTable)
        table.clear()
        if event.value.strip():
            table.add_rows(
                [
                    patient.name,
                    f"{patient.gender.value.capitalize()} {_years(patient.birth_date)}",
                    patient.birth_date.isoformat() if patient.birth_date else "",
                    patient.identifier or "",
                    patient.phone or "",
                ]
                for patient in self.cache.patients.search(event.value, 50)
            )


class BareTable(App[None]):
    """A DataTable of the queue's rows."""

    BINDINGS = [Binding("slash", "search", "Search"), Binding("n", "open", "Call next")]

    def __init__(self, rows: list[list[str]], cache: ClinicCache | None = None) -> None:
        super().__init__()
        self.rows = rows
        self.cache = cache

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
        if self.cache is not None:
            self.cache.patients.search("warm up", 1)  # the ORM loaded before any key

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter: the row's screen."""
        self.push_screen(RowScreen(self.rows[event.cursor_row]))

    def action_open(self) -> None:
        """n: the selected row's screen."""
        self.push_screen(RowScreen(self.rows[self.query_one(DataTable).cursor_row]))

    def action_search(self) -> None:
        """/: the search screen."""
        self.push_screen(SearchScreen(self.cache))


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
    parser.add_argument("--input-only", action="store_true", help="a search with no results")
    args = parser.parse_args()
    cache = None if args.input_only else ClinicCache(cache_path(Path(args.data_dir)))
    BareTable(queue_rows(args.data_dir), cache).run()


if __name__ == "__main__":
    main()
