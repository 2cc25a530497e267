"""PatientSearchScreen: find a patient as you type; Enter returns the id, Escape returns None.

Pushed by the queue's `/` key and by walk-in registration. Each keystroke
restarts a short debounce; the search then runs in an exclusive thread worker,
so a stale query is dropped rather than shown. Enter in the query box takes the
patient only when exactly one matches: with several (three 李素芬) it says so and
waits for a row to be chosen, so nobody is opened or registered by rank alone.
Enter pressed before the results arrive is remembered and answered the same way
(an identity-card reader types the number and Enter in one burst).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import ClassVar, Protocol, Self

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.message import Message
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, Static
from textual.widgets.data_table import ColumnKey
from textual.worker import Worker, WorkerState

from clinic_tui.domain.models import Gender, PatientSummary
from clinic_tui.i18n import N_, tr
from clinic_tui.screens.fresh_screen import StyledOnce
from clinic_tui.widgets.data_text import data_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.patient_header import localized_age
from clinic_tui.widgets.queue_table import fit


class Finder(Protocol):
    """What the dialog searches with: PatientSearch, or the cache's lazy PatientFinder."""

    def search(self, query: str, limit: int = ...) -> list[PatientSummary]:
        """Up to `limit` patients matching `query`, best first."""
        ...


_SEX_MARK = {Gender.MALE: N_("Male"), Gender.FEMALE: N_("Female"), Gender.OTHER: N_("Other")}
RESULT_LIMIT = 50
RESULT_NAME_CELLS = 30
"""Cells of a name in the results (a longer one ends in …)."""
RESULT_NUMBER_CELLS = 20
"""Cells of an identity number or a phone in the results."""
"""Rows shown at most; more than this and the clinician types on."""


_FIRST_COLUMN = Style.from_meta({"column": 0})
_COLUMNS = ("name", "sex-age", "birth", "identifier", "phone")
"""The result table's column keys, in order."""


class ResultsTable(DataTable[Text]):
    """The result rows; Up on the first row hands focus back to the query."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("up", "cursor_up_or_leave", show=False),
    ]

    class LeftTop(Message):
        """Up was pressed on the first row."""

    def render_line(self, y: int) -> Strip:
        """The row as DataTable draws it, with neighbouring cells of one look joined.

        Each cell carries its column in its mouse data, so no two cells share a style and
        every cell is sent with its colours again: two thirds of a row's bytes, and a new
        query redraws every row. With a row cursor the column is never needed: cells of a
        data row all say column 0 and join into runs (header cells keep theirs)."""
        strip = super().render_line(y)
        if self.cursor_type != "row":
            return strip
        segments = []
        for segment in strip:
            style = segment.style
            meta = style.meta if style is not None else {}
            if style is not None and meta.get("row", -1) >= 0 and meta.get("column", 0) > 0:
                segment = Segment(segment.text, style + _FIRST_COLUMN, segment.control)
            segments.append(segment)
        return Strip(Segment.simplify(segments), strip.cell_length)

    def action_cursor_up_or_leave(self) -> None:
        """Move up a row, or leave the table from its first row."""
        if self.cursor_row <= 0:
            self.post_message(self.LeftTop())
        else:
            self.action_cursor_up()


class QueryInput(Input):
    """The query box. Its size is set by the stylesheet, so a keystroke repaints it alone,
    and only its line of text: the border above and below stays as drawn."""

    _typing = False
    _text_only = False
    """True while a typed character or the cursor's blink changes the text line alone."""

    async def _on_key(self, event: events.Key) -> None:
        # A printable key changes the value and the cursor: the line of text, never the
        # border (a focus or style change repaints it whole, as it comes from elsewhere).
        self._text_only = True
        try:
            await super()._on_key(event)
        finally:
            self._text_only = False

    def _toggle_cursor(self) -> None:
        # Each blink is a repaint: two rows of border with it were two thirds of an idle
        # search's bytes (benchmarks/bytes_per_keystroke.py).
        self._text_only = True
        try:
            super()._toggle_cursor()
        finally:
            self._text_only = False

    def _watch_value(self, value: str) -> None:
        # Input asks for a new layout at every change of its value; a layout of the dialog
        # repaints the results' scrollbar too (a column of the screen, at each keystroke).
        self._typing = True
        try:
            super()._watch_value(value)
        finally:
            self._typing = False

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        """Repaint; a layout only when asked for by something other than typing; while
        typing or blinking, the line of text alone."""
        if self._text_only and repaint and not regions and not recompose:
            regions = (self.content_region.reset_offset,)
        return super().refresh(
            *regions, repaint=repaint, layout=layout and not self._typing, recompose=recompose
        )


class PatientSearchScreen(StyledOnce, ModalScreen[str | None]):
    """Search the cached patients; dismisses with the chosen patient's id, or None."""

    CSS_PATH = Path(__file__).with_name("patient_search.tcss")
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "cancel", tr("Cancel")),
        Binding("down", "focus_results", tr("Results"), show=False),
        Binding("enter", "choose", tr("Select"), show=True),
    ]
    DEBOUNCE_SECONDS: ClassVar[float] = 0.12
    """Pause in typing before a search starts; short enough to feel instant."""

    def __init__(
        self,
        search: Finder,
        *,
        title: str | None = None,
        initial_query: str = "",
        today: Callable[[], date] | None = None,
    ) -> None:
        super().__init__()
        self.search = search
        self.title_text = title or tr("Find patient")
        self.initial_query = initial_query
        self._today = today
        self._debounce: Timer | None = None
        self._submit_when_ready = False
        self.shown_query: str | None = None
        """The query whose results are on display (None before the first search returns)."""
        self.results: list[PatientSummary] = []
        self.last_query = initial_query
        self._searched_at_mount: str | None = None
        """What the query box held when the dialog closed (walk-in fills the new form with it)."""

    def compose(self) -> ComposeResult:
        """A title, the query, a status line and the results, in one dialog."""
        with Vertical(id="patient-search-dialog"):
            with Horizontal(id="patient-search-heading"):
                yield Label(self.title_text, id="patient-search-title")
                # The Input's own Enter binding hides the screen's from the footer: say it here.
                yield Label(tr("Enter choose · ↓ results · Esc cancel"), id="patient-search-keys")
            yield QueryInput(
                value=self.initial_query,
                placeholder=tr("Name, pinyin (zs / zhangsan), identity number or phone"),
                id="patient-search-input",
                # Coming back from the results (Up) refines the query rather than replacing it.
                select_on_focus=False,
            )
            yield Static(self._idle_text(), id="patient-search-status")
            table = ResultsTable(id="patient-search-results", cursor_type="row", zebra_stripes=True)
            table.add_column(tr("Name"), key="name")
            table.add_column(tr("Sex/Age"), key="sex-age")
            table.add_column(tr("Birth date"), key="birth")
            table.add_column(tr("Identity number"), key="identifier")
            table.add_column(tr("Phone"), key="phone")
            yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        """Focus the query; search at once when the caller passed one."""
        self.query_one(Input).focus()
        if self.initial_query.strip():
            self._searched_at_mount = self.initial_query
            # After the first layout: the result columns are fitted to the table's width.
            self.call_after_refresh(self.run_search, self.initial_query)

    def today(self) -> date:
        """Today for ages: the caller's clock, else the app's clock, else the system date."""
        if self._today is not None:
            return self._today()
        clock = getattr(self.app, "clock", None)
        if callable(clock):
            now = clock()
            if isinstance(now, datetime):
                return now.date()
        return date.today()

    @staticmethod
    def _idle_text() -> str:
        return tr("Type a name, pinyin initials, identity number or phone")

    @on(Input.Changed, "#patient-search-input")
    def _query_changed(self, event: Input.Changed) -> None:
        self._submit_when_ready = False
        if self._debounce is not None:
            self._debounce.stop()
        query = event.value
        if query == self._searched_at_mount:
            # The Input announcing the value it was made with: already searched at mount (a
            # second, timer-driven search would redraw the list a moment later).
            self._searched_at_mount = None
            return
        self._searched_at_mount = None
        if not query.strip():
            self.workers.cancel_group(self, "patient-search")
            self._show(query, [])
            return
        if self.DEBOUNCE_SECONDS <= 0:
            self.run_search(query)
        else:
            self._debounce = self.set_timer(self.DEBOUNCE_SECONDS, lambda: self.run_search(query))

    @on(Input.Submitted, "#patient-search-input")
    def _query_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose()

    @on(DataTable.RowSelected, "#patient-search-results")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.results):
            self.dismiss(self.results[event.cursor_row].id)

    @on(ResultsTable.LeftTop)
    def _left_results(self) -> None:
        self.query_one(Input).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="patient-search")
    def run_search(self, query: str) -> tuple[str, list[PatientSummary]]:
        """Search in a thread; a newer search cancels this one (exclusive)."""
        return query, self.search.search(query, RESULT_LIMIT)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show fresh results (stale ones are ignored), or say why the search failed."""
        worker = event.worker
        if worker.group != "patient-search":
            return
        if event.state is WorkerState.SUCCESS and isinstance(worker.result, tuple):
            query, results = worker.result
            if query == self.query_one(Input).value:
                self._show(query, results)
        elif event.state is WorkerState.ERROR:
            self._submit_when_ready = False
            self._set_status(tr("Search failed: {error}").format(error=worker.error))

    def _show(self, query: str, results: list[PatientSummary]) -> None:
        self.shown_query = query
        self.results = results
        table = self.query_one(ResultsTable)
        today = self.today()
        rows = [self._cells(patient, today) for patient in results]
        with self.app.batch_update():  # one frame, not one per row and scrollbar
            if rows and table.row_count == len(rows):
                # As many rows as shown: rewrite only the cells that differ. Clearing and adding
                # redraws the table and its scrollbar several times over: on a thin link every
                # keystroke of a search cost more than the screen it was typed on.
                for index, cells in enumerate(rows):
                    for column, cell in zip(_COLUMNS, cells, strict=True):
                        if table.get_cell(str(index), column) != cell:
                            # A wider cell widens its column (a relayout); others only repaint.
                            wider = cell.cell_len > table.columns[ColumnKey(column)].content_width
                            table.update_cell(str(index), column, cell, update_width=wider)
                table.move_cursor(row=0, column=0, animate=False)
                table.scroll_to(y=0, animate=False)
            else:
                table.clear()
                for index, cells in enumerate(rows):
                    # Rows are keyed by place: self.results says who each one is.
                    table.add_row(*cells, key=str(index))
        self._set_status(self._status_text(query, results))
        if self._submit_when_ready:
            self._submit_when_ready = False
            self._take_the_only_match()

    @staticmethod
    def _cells(patient: PatientSummary, today: date) -> tuple[Text, ...]:
        """A result row: the cache's words, as Text (a name holding "[/]" is drawn, never
        parsed)."""
        name = Text(fit(patient.name, RESULT_NAME_CELLS) + (" *" if patient.pending else ""))
        return (
            name,
            Text(
                f"{tr(_SEX_MARK.get(patient.gender, 'Unknown'))} "
                f"{localized_age(patient.birth_date, today)}"
            ),
            Text(patient.birth_date.isoformat() if patient.birth_date else ""),
            Text(fit(patient.identifier or "", RESULT_NUMBER_CELLS)),
            Text(fit(patient.phone or "", RESULT_NUMBER_CELLS)),
        )

    def _take_the_only_match(self) -> None:
        """Enter from the query box: the patient when only one matches; with several, say so."""
        if len(self.results) == 1:
            self.dismiss(self.results[0].id)
        elif self.results:
            hint = tr("{count} patients match: choose one with ↓ and Enter")
            self._set_status(hint.format(count=len(self.results)))

    def _status_text(self, query: str, results: list[PatientSummary]) -> str:
        if not query.strip():
            return self._idle_text()
        if not results:
            return tr("No patient matches '{query}'").format(query=query.strip())
        if len(results) >= RESULT_LIMIT:
            text = tr("First {count} patients; type more to narrow").format(count=len(results))
        elif len(results) == 1:
            text = tr("1 patient")
        else:
            text = tr("{count} patients").format(count=len(results))
        if any(patient.pending for patient in results):
            text += "   " + tr("* = not yet synced")
        return text

    def _set_status(self, text: str) -> None:
        # It quotes the query and may quote an error: Text, never markup.
        status = self.query_one("#patient-search-status", Static)
        shown = data_text(text)
        if status.content != shown:  # the same words again: no repaint
            # One row high whatever it says (the stylesheet): no relayout, which would
            # repaint the results' scrollbar too.
            status.update(shown, layout=False)

    def action_focus_results(self) -> None:
        """Move from the query into the results (Down)."""
        table = self.query_one(ResultsTable)
        if table.row_count:
            table.focus()
            table.move_cursor(row=0)

    def action_choose(self) -> None:
        """Enter: the highlighted row in the results; from the query box, the only match."""
        query = self.query_one(Input).value
        if not query.strip():
            return
        if query != self.shown_query:
            self._submit_when_ready = True
            if self._debounce is not None:
                self._debounce.stop()
            self.run_search(query)
            return
        table = self.query_one(ResultsTable)
        if table.has_focus and self.results:
            row = min(max(table.cursor_row, 0), len(self.results) - 1)
            self.dismiss(self.results[row].id)
            return
        self._take_the_only_match()

    def action_cancel(self) -> None:
        """Close without choosing anyone."""
        self.last_query = self.query_one(Input).value
        self.dismiss(None)
