"""Follow-ups due (queue key F): plans the hospital sent down, due today or overdue.

Enter opens the patient's chart (the plan shows there too); `x` records that the
patient came back for it (the follow-up Task completed, a local write that syncs).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from clinic_tui.i18n import N_, tr
from clinic_tui.messages import CacheChanged
from clinic_tui.referral.model import FollowUpItem
from clinic_tui.widgets.data_text import data_text, name_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.queue_table import fit

_NAME_CELLS = 24
"""Cells of a name or a date in the list (a longer one ends in …)."""
_PLAN_CELLS = 60
"""Cells of the plan in the list."""

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache


SHOWN_ON_QUEUE = 3
"""Follow-ups named on the queue's line; the rest are counted ('+2 more'), all are under F."""
PLAN_SHOWN = 40
"""Characters of each plan on the queue's line."""


def follow_ups_line(items: list[FollowUpItem], today: str) -> Text:
    """The queue's line: 'Follow-ups due 2 (1 overdue): 张伟 复测血压 · … [F]'."""
    overdue = sum(1 for item in items if item.due and item.due < today)
    line = Text(f"{tr('Follow-ups due')} {len(items)}", style="bold")
    if overdue:
        line.append(f" ({tr('overdue')} {overdue})", style="bold")
    # Names and plans are the hospital's words: controls made visible, each cut short.
    shown = [
        f"{name_text(item.patient_name).plain} {data_text(item.plan, limit=PLAN_SHOWN).plain}"
        for item in items[:SHOWN_ON_QUEUE]
    ]
    if len(items) > SHOWN_ON_QUEUE:
        shown.append(tr("+{count} more").format(count=len(items) - SHOWN_ON_QUEUE))
    line.append(f": {' · '.join(shown)}")
    line.append(" [F]")
    return line


class FollowUpsScreen(Screen[None]):
    """The clinic's follow-ups due today or earlier and not yet done."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "back", tr("Back")),
        # The screen's, before the table's: an Enter typed before the list has loaded went
        # to the empty table (or found no row here) and was lost; now it waits for the list.
        Binding("enter", "open_chart", tr("Open chart"), priority=True),
        Binding("x", "done", tr("Done")),
    ]

    def __init__(self, cache: ClinicCache, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.cache = cache
        self.clock = clock
        self.items: list[FollowUpItem] = []
        self._loaded = False
        self._open_when_loaded = False
        """Enter came before the first read: open the first chart once the list is shown."""

    def compose(self) -> ComposeResult:
        """Title, the table, notices and keys."""
        title = Text.assemble(
            name_text(self.cache.clinic.name, "bold"), " · ", tr("Follow-ups due")
        )
        yield Static(title, classes="referral-title")
        yield DataTable(id="follow-up-table", cursor_type="row")
        yield Static("", id="follow-up-empty")
        yield NoticeLine(id="follow-up-notice")
        yield KeyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Columns, then the first read."""
        table = self.query_one(DataTable)
        for label in (N_("Due"), N_("Patient"), N_("Plan"), N_("From")):
            table.add_column(tr(label))
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        """Back from a chart."""
        self.load()

    def on_cache_changed(self, _message: CacheChanged) -> None:
        """A sync may have brought a new plan."""
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="follow-ups")
    def load(self) -> list[FollowUpItem]:
        """Read the follow-ups due in a thread."""
        from clinic_tui.screens.referrals import referral_store

        return referral_store(self.cache).follow_ups_due(self.clock().date())

    @work(thread=True, exclusive=True, exit_on_error=False, group="follow-up-done")
    def _done(self, item: FollowUpItem) -> str:
        from clinic_tui.screens.referrals import referral_store

        referral_store(self.cache).follow_up_done(item.task_id, self.clock())
        return tr("Follow-up done: {name}").format(name=item.patient_name)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the list; say what a write did or why it failed."""
        group = event.worker.group
        if group == "follow-ups" and event.state is WorkerState.SUCCESS:
            if isinstance(event.worker.result, list):
                self.show(event.worker.result)
        elif group == "follow-up-done" and event.state is WorkerState.SUCCESS:
            self.notify(str(event.worker.result), timeout=4)
            self.load()
        elif group in ("follow-ups", "follow-up-done") and event.state is WorkerState.ERROR:
            error = event.worker.error
            message = getattr(error, "message", None)
            text = message() if callable(message) else str(error)
            self.notify(f"{tr('Could not')}: {text}", severity="error", timeout=8)

    def show(self, items: list[FollowUpItem]) -> None:
        """Redraw the rows; an overdue date says so in words."""
        self.items = items
        table = self.query_one(DataTable)
        table.clear()
        today = self.clock().date().isoformat()
        for item in items:
            due = item.due or ""
            if due and due < today:
                due += f" ({tr('overdue')})"
            # The referral's own text, as Text (never markup), cut to a column's width.
            name = Text(fit(item.patient_name, _NAME_CELLS) + (" *" if item.pending else ""))
            table.add_row(
                Text(fit(due, _NAME_CELLS)),
                name,
                Text(fit(item.plan, _PLAN_CELLS)),
                Text(fit(item.from_name, _NAME_CELLS)),
                key=item.task_id,
            )
        empty = self.query_one("#follow-up-empty", Static)
        empty.update(tr("No follow-ups due"))
        empty.display = not items
        self._loaded = True
        if self._open_when_loaded:
            self._open_when_loaded = False
            self.action_open_chart()

    @property
    def selected(self) -> FollowUpItem | None:
        """The follow-up under the cursor."""
        row = self.query_one(DataTable).cursor_row
        return self.items[row] if self.items and 0 <= row < len(self.items) else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens the chart."""
        event.stop()
        self.action_open_chart()

    def action_open_chart(self) -> None:
        """Open the chart of the follow-up's patient (the first's, once read, if not yet)."""
        from clinic_tui.screens.chart import ChartScreen

        if not self._loaded:
            self._open_when_loaded = True
            return
        item = self.selected
        if item is not None and item.patient_id:
            self.app.push_screen(ChartScreen(self.cache, item.patient_id, self.clock))

    def action_done(self) -> None:
        """x: the patient came back for this follow-up (after a yes)."""
        from clinic_tui.screens.discard_dialog import ConfirmScreen

        item = self.selected
        if item is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._done(item)

        question = tr("Follow-up of {name} done?").format(name=name_text(item.patient_name).plain)
        self.app.push_screen(ConfirmScreen(question), answered)

    def action_back(self) -> None:
        """Back to the queue."""
        self.dismiss(None)
