"""The chronic follow-up list (queue key v): who is due a 随访 this week, overdue or unseen.

Rows come from the registry's due list, most overdue first, read from the cache in a
worker (it works with no network). Enter opens the 随访 form for the patient under the
cursor; `o` opens the chart; `f` filters by village/address, programme and clinician;
`p` prints the rows shown as a village visit list (PDF, Chinese).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from clinic_tui.followup.model import DueItem, Programme
from clinic_tui.i18n import N_, language, tr
from clinic_tui.messages import CacheChanged
from clinic_tui.screens.followup_reads import ListFilter, chronic_registry
from clinic_tui.widgets.data_text import data_text, name_text
from clinic_tui.widgets.followup_words import control_word, due_words, programme_word
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.queue_table import fit

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache
    from clinic_tui.screens.followup_form import FollowUpForm


HORIZON_DAYS = 7
"""'Due this week': rows due within this many days show beside the overdue ones."""
WINDOW = 60
"""Rows added to the table at a time (see FollowUpListScreen.show)."""
_NAME_CELLS = 12
_ADDRESS_CELLS = 14
COMPACT_BELOW = 100
"""Terminal columns under which the list takes its compact layout: names, addresses and
doctors cut shorter and the control in a word ('05-11 poor'), so every column, the doctor's
among them, is on screen whole at 80 columns."""
_DOCTOR_CELLS_COMPACT = 8
_SCROLLBAR = 2
_LABELS = (N_("Due state"), N_("Patient"), N_("Age"), N_("Prog."), N_("Address"),
           N_("Last visit"), N_("Doctor"))  # fmt: skip


@dataclass(frozen=True)
class ListLayout:
    """The cells of the cut columns, and whether the control is in its short word."""

    name: int = _NAME_CELLS
    address: int = _ADDRESS_CELLS
    doctor: int = _NAME_CELLS
    short: bool = False
    widths: tuple[int, ...] | None = None
    """Every column's width (compact), or None: each as wide as its cells."""


def layout_for(
    width: int, today: date, longest: tuple[int, int, int] = (_NAME_CELLS, _ADDRESS_CELLS, 8)
) -> ListLayout:
    """The full layout from COMPACT_BELOW columns up; below, widths that fit a table `width`
    wide (its vertical scrollbar included).

    `longest`: the cells of the longest name, address and doctor's name on the list. The
    compact layout gives those columns no more than they need, and the room left to the
    name and the address, so a short list of short names shows its addresses whole.
    """
    if width >= COMPACT_BELOW:
        return ListLayout()
    from clinic_tui.followup.model import Control

    headers = [cell_len(tr(label)) for label in _LABELS]
    due = max(
        cell_len(tr("! overdue {days} d").format(days=999)),
        cell_len(tr("! not seen in {year}").format(year=today.year)),
        cell_len(tr("no date planned")),
        cell_len(tr("due in {days} d").format(days=99)),
    )
    programme = max(cell_len(programme_word(p, short=True)) for p in Programme)
    last = len("12-31 ") + max(cell_len(control_word(c, short=True)) for c in Control)
    doctor = max(headers[6], min(longest[2], _DOCTOR_CELLS_COMPACT))
    fixed = {0: due, 2: 3, 3: programme, 5: last, 6: doctor}
    fixed = {column: max(size, headers[column]) for column, size in fixed.items()}
    # Each column has a cell of padding either side; the scrollbar takes two more.
    room = width - 2 * len(_LABELS) - _SCROLLBAR - sum(fixed.values())
    need_name = max(headers[1], min(longest[0], _NAME_CELLS))
    need_address = max(headers[4], min(longest[1], _ADDRESS_CELLS))
    if need_name + need_address <= room:
        name, address = need_name, room - need_name
    else:
        # Short of room: the name keeps up to half, the address has the rest.
        name = max(6, headers[1], min(need_name, max(room - need_address, room - room // 2)))
        address = max(6, headers[4], room - name)
    widths = (fixed[0], name, fixed[2], fixed[3], address, fixed[5], fixed[6])
    return ListLayout(name, address, doctor, short=True, widths=widths)


def longest_cells(items: list[DueItem], names: dict[str, str]) -> tuple[int, int, int]:
    """The cells of the longest patient name, address and doctor's name among `items`."""
    return (
        max((cell_len(name_text(item.name).plain) for item in items), default=0),
        max((cell_len(data_text(item.address).plain) for item in items), default=0),
        max(
            (cell_len(data_text(names.get(i.clinician_id or "", "")).plain) for i in items),
            default=0,
        ),
    )


class FollowUpListScreen(Screen[None]):
    """The clinic's chronic-disease patients due a follow-up, most overdue first."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        # The screen's, before the table's: an Enter typed before the list has loaded
        # waits for it instead of being lost on the empty table.
        Binding("enter", "visit", tr("Follow-up"), priority=True),
        Binding("o", "open_chart", tr("Chart")),
        Binding("f", "filter", tr("Filter")),
        Binding("p", "print_list", tr("Print list")),
        Binding("escape", "back", tr("Back")),
        # The screen's, before the table's (its own scroll sideways): rows, loading the rest.
        Binding("home", "first_row", tr("First row"), show=False, priority=True),
        Binding("end", "last_row", tr("Last row"), show=False, priority=True),
    ]

    def __init__(
        self,
        cache: ClinicCache,
        clock: Callable[[], datetime],
        *,
        lists_dir: Path | None = None,
        printer: str | None = None,
    ) -> None:
        super().__init__()
        self.cache = cache
        self.clock = clock
        self.lists_dir = lists_dir or cache.path.parent / "visit-lists"
        """Where printed visit lists are kept (beside the cache, like the slips)."""
        self.printer = printer
        """[printing] printer: the lp destination; None keeps the PDF without printing."""
        self.items: list[DueItem] = []
        self.names: dict[str, str] = {}
        """Practitioner id -> name, read with the list."""
        self.filter = ListFilter()
        self._loaded = False
        self._rows_in_table = 0
        self._pending: str | None = None
        """A key that came before the first read ('visit' / 'chart'): done once it is shown."""
        self.columns_layout = ListLayout()
        """The columns' layout for the terminal's width (compact below COMPACT_BELOW)."""

    def compose(self) -> ComposeResult:
        """Title, counts, the filter, the table, notices and keys."""
        title = Text.assemble(
            name_text(self.cache.clinic.name, "bold"),
            " · ",
            tr("Chronic follow-ups"),
            " · ",
            self.clock().date().isoformat(),
        )
        yield Static(title, classes="referral-title")
        yield Static(tr("Loading the follow-up list…"), id="follow-up-counts")
        yield Static("", id="follow-up-filter")
        yield DataTable(id="chronic-table", cursor_type="row")
        yield Static("", id="chronic-empty")
        yield NoticeLine(id="chronic-notice")
        yield KeyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Columns, then the first read."""
        table = self.query_one(DataTable)
        self._set_columns()
        self.query_one("#chronic-empty").display = False
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        """Back from the form or the chart: a visit moves its row."""
        # Not on the first showing (a resume comes with it): on_mount's read is under way,
        # and a second one beside it would double the time to the first rows.
        if self._loaded:
            self.load()

    def on_cache_changed(self, _message: CacheChanged) -> None:
        """A sync may have brought enrolments or visits."""
        self.load()

    # ----- reading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="chronic-list")
    def load(self) -> tuple[list[DueItem], dict[str, str]]:
        """The due list under the filter, and the clinicians' names."""
        from clinic_tui.followup.visit_list import clinician_names

        chosen = self.filter
        items = chronic_registry(self.cache).due_list(
            self.clock().date(),
            programme=chosen.programme,
            clinician_id=chosen.clinician_id,
            address=chosen.address or None,
            horizon_days=HORIZON_DAYS,
        )
        return items, clinician_names(self.cache.engine)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the list, open a form, say what a print did, or why something failed."""
        group = event.worker.group
        if event.state is WorkerState.SUCCESS:
            result = event.worker.result
            if group == "chronic-list" and isinstance(result, tuple):
                self.show(*result)
            elif group == "chronic-form" and callable(result):
                form = result()
                self.app.push_screen(form, lambda notice: self._visit_saved(form, notice))
            elif group == "chronic-print" and isinstance(result, str):
                self.query_one(NoticeLine).show(result, timeout=15)
        elif event.state is WorkerState.ERROR and group.startswith("chronic-"):
            error = event.worker.error
            text = str(error) if isinstance(error, LookupError) else f"{tr('Could not')}: {error}"
            self.notify(text, severity="error", timeout=8)

    def _set_columns(self) -> bool:
        """Lay the columns out for the width in force; True when that changed them."""
        longest = longest_cells(self.items, self.names)
        table = self.query_one(DataTable)
        # The table's own width (the screen's gutter is not the table's); the app's before
        # the first layout, and again once the table has its width.
        width = table.size.width
        if not width:
            width = self.app.size.width
            self.call_after_refresh(self._fit_width)
        chosen = layout_for(width, self.clock().date(), longest)
        if chosen == self.columns_layout and table.columns:
            return False
        self.columns_layout = chosen
        table.clear(columns=True)
        self._rows_in_table = 0
        widths: tuple[int | None, ...] = chosen.widths or (None,) * len(_LABELS)
        for label, column_width in zip(_LABELS, widths, strict=True):
            table.add_column(tr(label), width=column_width)
        return True

    def on_resize(self) -> None:
        """A new width may need another layout: lay out again (once the table has its new
        width), rows and all."""
        self.call_after_refresh(self._fit_width)

    def _fit_width(self) -> None:
        if self._loaded and self._set_columns():
            self.show(self.items, self.names)

    def show(self, items: list[DueItem], names: dict[str, str]) -> None:
        """Redraw the rows (kept in the registry's order: most overdue first).

        The table holds a window of the rows (WINDOW at a time, more as the cursor nears
        the end, all of them on End): a clinic's few thousand rows would take a second to
        add, and a clinician reads the first screenful.
        """
        keep = self.selected.enrolment_id if self.selected and self._loaded else None
        self.items, self.names = items, names
        self._set_columns()  # the compact layout fits the columns to the names on the list
        table = self.query_one(DataTable)
        table.clear()
        self._rows_in_table = 0
        target = next((i for i, item in enumerate(items) if item.enrolment_id == keep), 0)
        self._load_to(max(target + 1, WINDOW))
        if target:
            table.move_cursor(row=target)
        today = self.clock().date()
        overdue = sum(1 for i in items if i.due is not None and i.due < today)
        unseen = sum(1 for i in items if i.visits_this_year == 0)
        counts = tr("{count} due · {overdue} overdue · {unseen} not seen this year").format(
            count=len(items), overdue=overdue, unseen=unseen
        )
        self.query_one("#follow-up-counts", Static).update(Text(counts, style="bold"))
        self.query_one("#follow-up-filter", Static).update(
            data_text(
                f"{tr('Filter')}{'：' if language() == 'zh' else ': '}"
                f"{self.filter.words(names)} [f]"
            )
        )
        empty = self.query_one("#chronic-empty", Static)
        empty.update(tr("Nobody is due a follow-up"))
        empty.display = not items
        self._loaded = True
        pending, self._pending = self._pending, None
        if pending == "visit":
            self.action_visit()
        elif pending == "chart":
            self.action_open_chart()

    def _load_to(self, count: int) -> None:
        """Add rows until `count` are in the table (or all are)."""
        table = self.query_one(DataTable)
        today = self.clock().date()
        start, end = self._rows_in_table, min(count, len(self.items))
        for item in self.items[start:end]:
            table.add_row(
                *row_cells(item, today, self.names, self.columns_layout), key=item.enrolment_id
            )
        self._rows_in_table = max(start, end)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Near the end of the window, bring in the next one."""
        if event.cursor_row >= self._rows_in_table - 5 and self._rows_in_table < len(self.items):
            self._load_to(self._rows_in_table + WINDOW)

    def action_first_row(self) -> None:
        """Home: the first (most overdue) row."""
        self.query_one(DataTable).move_cursor(row=0)

    def action_last_row(self) -> None:
        """End: the last row (every window loaded first)."""
        self._load_to(len(self.items))
        table = self.query_one(DataTable)
        table.move_cursor(row=table.row_count - 1)

    @property
    def selected(self) -> DueItem | None:
        """The row under the cursor."""
        row = self.query_one(DataTable).cursor_row
        return self.items[row] if self.items and 0 <= row < len(self.items) else None

    # ----- keys -----------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (when the table has it) opens the form."""
        event.stop()
        self.action_visit()

    def action_visit(self) -> None:
        """Enter: the 随访 form for the patient under the cursor."""
        if not self._loaded:
            self._pending = "visit"
            return
        item = self.selected
        if item is not None:
            self._read_form(item.patient_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="chronic-form")
    def _read_form(self, patient_id: str) -> Callable[[], FollowUpForm]:
        from clinic_tui.screens.followup_open import visit_form
        from clinic_tui.screens.followup_reads import read_visit_form_data

        now = self.clock()
        data = read_visit_form_data(self.cache, patient_id, now)
        return lambda: visit_form(self.cache, data, now)

    def _visit_saved(self, form: FollowUpForm, notice: str | None) -> None:
        if not notice:
            return
        self.notify(notice, timeout=6)
        self.load()
        from clinic_tui.screens.followup_open import offer_referral

        offer_referral(self, self.cache, form, self.clock)

    def action_open_chart(self) -> None:
        """o: the chart of the patient under the cursor."""
        from clinic_tui.screens.chart import ChartScreen

        if not self._loaded:
            self._pending = "chart"
            return
        item = self.selected
        if item is not None:
            self.app.push_screen(ChartScreen(self.cache, item.patient_id, self.clock))

    def action_filter(self) -> None:
        """f: narrow the list to a village, a programme, a clinician."""
        from clinic_tui.screens.followup_dialogs import FilterForm

        def chosen(result: ListFilter | None) -> None:
            if result is not None:
                self.filter = result
                self.load()

        self.app.push_screen(FilterForm(self.filter, self.names), chosen)

    def action_print_list(self) -> None:
        """p: the rows shown as a village visit list (PDF, Chinese), printed when set up."""
        if self._loaded:
            self._print(list(self.items))

    @work(thread=True, exclusive=True, exit_on_error=False, group="chronic-print")
    def _print(self, items: list[DueItem]) -> str:
        from clinic_tui.followup.visit_list import write_visit_list_pdf

        today = self.clock().date()
        path = write_visit_list_pdf(
            items,
            self.lists_dir / f"{today.isoformat()}-visit-list.pdf",
            clinic_name=self.cache.clinic.name,
            today=today,
            heading=_heading_zh(self.filter, self.names),
            names=self.names,
        )
        said = tr("Visit list printed: {path}").format(path=path)
        if self.printer is not None:
            from clinic_tui.prescribing.slip_printer import send_to_printer

            result = send_to_printer(path, self.printer)
            said += " · " + (result.message_zh if language() == "zh" else result.message_en)
        return said

    def action_back(self) -> None:
        """Back to the queue."""
        self.dismiss(None)


def row_cells(
    item: DueItem, today: date, names: dict[str, str], layout: ListLayout | None = None
) -> tuple[Text, ...]:
    """One row in words; names and addresses are data (Text, cut to their columns)."""
    from clinic_tui.followup.visit_list import age_years

    cut = layout or ListLayout()
    last = ""
    if item.last_visit is not None:
        control = control_word(item.last_control, short=cut.short)
        last = f"{item.last_visit:%m-%d} {control}".strip()
    overdue = item.due is not None and item.due < today
    return (
        Text(due_words(item, today), style="bold" if overdue else ""),
        Text(fit(name_text(item.name).plain, cut.name)),
        Text(age_years(item.birth_date, today)),
        Text(programme_word(item.programme, short=True)),
        Text(fit(data_text(item.address).plain, cut.address)),
        Text(last),
        Text(fit(data_text(names.get(item.clinician_id or "", "")).plain, cut.doctor)),
    )


def _heading_zh(chosen: ListFilter, names: dict[str, str]) -> str:
    """The printed list's heading: always Chinese (the list is for the village)."""
    parts = []
    if chosen.address:
        parts.append(f"住址：{chosen.address}")
    if chosen.programme is not None:
        parts.append({Programme.HYPERTENSION: "高血压", Programme.DIABETES: "糖尿病"}[
            chosen.programme])  # fmt: skip
    if chosen.clinician_id:
        parts.append(f"责任医生：{names.get(chosen.clinician_id, chosen.clinician_id)}")
    return "　".join(parts) or "全部"
