"""The hospital expert's triage inbox: referrals to this hospital, worked from the keyboard.

The inbox is read once from the cache (one query, referral.inbox) in a worker;
the filters (u, d, s, w, /) narrow the rows in memory, so a keystroke never
waits for the disk. Every action is a local write through the referral store,
in a worker, after which the inbox is read again; an action the referral's
state does not allow says why (the state machine's message) and writes nothing.

A row whose thread holds township messages not seen here shows `✉1` before the name.
The mark goes once the expert has had the thread in the preview: Enter or an action key
on the row, or the row staying under the cursor SEEN_AFTER (1 s) after its thread was
drawn. A cursor passing over rows clears nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from clinic_tui.domain.models import Clinic
from clinic_tui.i18n import language, tr
from clinic_tui.messages import CacheChanged, SyncCounts
from clinic_tui.referral.inbox import (
    AWAITING_TRIAGE,
    OPEN,
    STATUSES,
    URGENCIES,
    Department,
    InboxFilter,
    InboxRow,
    Preview,
)
from clinic_tui.referral.reads import InboxReader
from clinic_tui.referral.store import ReferralStore
from clinic_tui.widgets.data_text import data_block, data_text, name_text
from clinic_tui.widgets.inbox_table import (
    BULK_MARK,
    SLA_MARK,
    InboxTable,
    sex_age_text,
    status_text,
    urgency_text,
    wait_cell,
)
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.sync_badge import SyncBadge
from clinic_tui.widgets.unread_mark import UNREAD_MARK, unread_words

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache
    from clinic_tui.screens.triage_actions import AfterAction


WAIT_STEPS: tuple[timedelta | None, ...] = (
    None,
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=7),
)
"""What `w` cycles through: any wait, then longer than each of these."""
STATUS_STEPS: tuple[frozenset[str], ...] = (
    AWAITING_TRIAGE,
    OPEN,
    *(frozenset({status}) for status in STATUSES),
    frozenset(),
)
"""What `s` cycles through: awaiting triage, all open ones, each status alone, then all."""
POLL_SECONDS = 30.0
"""How often waits and SLA timers move on."""
SEEN_AFTER = 1.0
"""Seconds the preview must show a thread, its row still under the cursor, before its
messages count as seen. A cursor passing over rows (j j j) clears no mark; an action key
or Enter on the row marks it seen at once (the expert acted on what the preview showed)."""
TABLE_SHARE = 0.6
"""At most this share of the screen's height goes to the list; the preview has the rest."""
TABLE_MIN = 8
"""Lines the list keeps however small the terminal (the header and seven referrals)."""
PREVIEW_PAUSE = 0.25
"""Seconds of no typing in the text filter before the preview follows the top row: each
preview is a read of the cache and a redraw of the pane, which a keystroke should not wait for."""


def _span_words(delta: timedelta) -> str:
    if delta.days:
        return f"{delta.days}天" if language() == "zh" else f"{delta.days} d"
    hours = delta.seconds // 3600
    return f"{hours}小时" if language() == "zh" else f"{hours} h"


def filter_text(chosen: InboxFilter, shown: int, total: int, over: int, marked: int) -> Text:
    """'Urgency all · Dept all · Status open · Waiting any │ 40 of 300 shown · ⚠ 5 over SLA'."""
    status = (
        tr("to triage")
        if chosen.statuses == AWAITING_TRIAGE
        else tr("open")
        if chosen.statuses == OPEN
        else tr("all")
        if not chosen.statuses
        else status_text(next(iter(chosen.statuses)))
    )
    urgency = urgency_text(chosen.urgency) if chosen.urgency else Text(tr("all"))
    waiting = (
        f"> {_span_words(chosen.waiting_longer_than)}" if chosen.waiting_longer_than else tr("any")
    )
    text = Text.assemble(
        ("u ", "bold"),
        urgency,
        " · ",
        ("d ", "bold"),
        name_text(chosen.department or tr("all")),
        " · ",
        ("s ", "bold"),
        data_text(status),
        " · ",
        ("w ", "bold"),
        waiting,
    )
    if chosen.text:
        text.append(" · ")
        text.append("/ ", style="bold")
        text.append_text(data_text(chosen.text))  # pasted text may hold controls too
    text.append(f"  {shown:,}/{total:,} {tr('shown')}")
    if over:
        text.append(f" · {SLA_MARK} {over} {tr('over SLA')}", style="bold red")
    if marked:
        text.append(f" · {BULK_MARK} {marked} {tr('marked')}", style="bold")
    return text


class TriageScreen(Screen[None]):
    """The referral inbox of one hospital, with one key per triage action."""

    BINDINGS = [
        Binding("a", "accept", tr("Accept")),
        Binding("x", "decline", tr("Decline")),
        Binding("q", "ask", tr("Ask")),
        Binding("f", "forward", tr("Forward")),
        Binding("c", "complete", tr("Complete")),
        Binding("o", "open_chart", tr("Chart")),
        Binding("space", "mark", tr("Mark"), show=False),
        Binding("u", "cycle_urgency", tr("Urgency filter"), show=False),
        Binding("d", "cycle_department", tr("Department filter"), show=False),
        Binding("s", "cycle_status", tr("Status filter"), show=False),
        Binding("w", "cycle_waiting", tr("Waiting filter"), show=False),
        Binding("slash", "text_filter", tr("Text filter"), show=False),
        Binding("ctrl+down", "scroll_preview(1)", tr("Scroll preview"), show=False),
        Binding("ctrl+up", "scroll_preview(-1)", tr("Scroll preview"), show=False),
    ]

    def __init__(
        self,
        cache: ClinicCache,
        clock: Callable[[], datetime],
        hospital: Clinic,
        sla_limit: timedelta,
        inbox: InboxReader | None = None,
    ) -> None:
        super().__init__()
        self.cache = cache
        self.clock = clock
        self.hospital = hospital
        self.sla_limit = sla_limit
        self.inbox = inbox if inbox is not None else InboxReader(cache.path, hospital.id)
        """The inbox's reads: the screen never opens the cache file itself."""
        self.rows: list[InboxRow] = []
        """Every referral of the inbox as last read (unfiltered)."""
        self.departments: list[Department] = []
        self.filter = InboxFilter()
        """The filters in force."""
        self._loaded = False
        self._shown_by: InboxFilter | None = None
        self._over_at: tuple[int, datetime] | None = None
        self._over = 0
        self._previewed: InboxRow | None = None
        self._preview_timer: Timer | None = None
        self._seen_timer: Timer | None = None
        self._thread_shown: str | None = None
        """Task id whose thread the preview shows now (None while it is being read)."""
        self._filter_line: Text | None = None
        self._after: AfterAction | None = None
        """Set by an action, taken by the next read: where the cursor goes, what to say."""

    def compose(self) -> ComposeResult:
        """Heading, filter line, the table, the text filter, the preview, notices, keys."""
        with Horizontal(id="triage-heading"):
            yield Static(id="triage-title")
            yield SyncBadge(id="triage-badge")
        yield Static(id="triage-filters")
        yield Input(
            placeholder=tr(
                "Type to filter by name, reason, clinic, department; "
                "Enter keeps the filter, Esc clears it"
            ),
            id="triage-text",
        )
        yield InboxTable(id="triage-table")
        yield Static(tr("Loading the inbox…"), id="triage-empty")
        # Not in the Tab order: with the focus there, ↓ and the action keys went on acting
        # on the table's row while nothing on screen moved. ctrl+↓/↑ scroll it from the list.
        preview = VerticalScroll(id="triage-preview", can_focus=False)
        with preview:
            yield Static(id="triage-preview-text")
        yield NoticeLine(id="triage-notice")
        yield KeyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Read the inbox; keep waits and SLA timers moving."""
        title = Text.assemble(name_text(self.hospital.name, "bold"), " · ", tr("Triage inbox"))
        self.query_one("#triage-title", Static).update(title)
        self.query_one("#triage-text", Input).display = False
        self.set_interval(POLL_SECONDS, self._tick)
        self.query_one(InboxTable).focus()
        self.refresh_inbox()

    def on_screen_resume(self) -> None:
        """Back from a chart or a dialog: read again (an action may have changed a referral)."""
        if self._loaded:
            self.refresh_inbox()

    def on_cache_changed(self, _message: CacheChanged) -> None:
        """A sync wrote records: show them."""
        self.refresh_inbox()

    # ----- reading and showing ---------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="triage")
    def refresh_inbox(self, keep: str | None = None) -> None:
        """Read the inbox (one query) and the departments, then show them."""
        rows, departments = self.inbox.inbox()
        self.app.post_message(
            SyncCounts(
                pending=self.cache.pending_changes(),
                conflicts=self.cache.open_conflicts(),
                last_synced=self.cache.last_sync(),
            )
        )
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._loaded_rows, rows, departments, keep)
        _ = self.cache.engine  # the ORM loads here, not on the first action key

    def _loaded_rows(
        self,
        rows: list[InboxRow],
        departments: list[Department],
        keep: str | None,
    ) -> None:
        # The read that follows an action (the form's closing also reads again: whichever
        # read comes last takes the plan) keeps the cursor where the expert was.
        plan, self._after = self._after, None
        fallback = None
        if plan is not None and keep is None:
            keep, fallback = plan.keep, plan.fallback
        self.rows = rows
        self.departments = departments
        self._loaded = True
        self._shown_by = None
        self._previewed = None  # a new read may bring a new message or decision
        present = {row.task_id for row in rows}
        table = self.query_one(InboxTable)
        table.marked &= present
        self.show_rows(keep, fallback=fallback)
        if plan is not None and plan.accepted:
            shown = {row.task_id for row in table.rows_shown}
            gone = [name for task_id, name in plan.accepted if task_id not in shown]
            if gone:
                from clinic_tui.screens.triage_actions import where_accepted_went

                # The accepted referral is no longer on the list: say where it went.
                self.notify(f"{plan.notice} · {where_accepted_went(gone)}", timeout=10)

    def after_action(self, plan: AfterAction) -> None:
        """Read the inbox again after an action; the cursor and a notice follow `plan`."""
        self._after = plan
        self.refresh_inbox()

    def show_rows(
        self, keep: str | None = None, *, fallback: str | None = None, typing: bool = False
    ) -> None:
        """Apply the filters to the rows in memory and redraw the table (no disk).

        Typing on in the text filter narrows the rows already shown, not the whole inbox;
        while `typing`, the preview waits for a pause (PREVIEW_PAUSE).
        """
        now = self.clock()
        previous, self._shown_by = self._shown_by, self.filter
        table = self.query_one(InboxTable)
        if previous is not None and self.filter.narrows(previous):
            shown = self.filter.apply(table.rows_shown, now)
        else:
            shown = self.filter.apply(self.rows, now)
        table.show(shown, now, self.sla_limit, keep=keep, fallback=fallback)
        self._fit_table(len(shown))
        empty = self.query_one("#triage-empty", Static)
        empty.update(
            tr("No referral matches these filters")
            if self.rows
            else tr("No referrals to this hospital yet")
        )
        empty.display = not shown
        self._show_filters(shown, now)
        if typing:
            self._preview_later()
        else:
            self._show_preview()

    def _fit_table(self, rows: int) -> None:
        """The list as tall as its rows (up to TABLE_SHARE of the screen); the preview the rest.

        A few referrals no longer leave the screen half empty while the thread is cut off
        below them; a long inbox still keeps most of the screen for the list.
        """
        cap = max(TABLE_MIN, int(self.size.height * TABLE_SHARE))
        height = min(max(TABLE_MIN, rows + 1), cap)  # + 1: the header
        table = self.query_one(InboxTable)
        if table.styles.height is None or table.styles.height.value != height:
            table.styles.height = height

    def on_resize(self) -> None:
        """A new terminal size: share the height again."""
        self._fit_table(len(self.query_one(InboxTable).rows_shown))

    def _preview_later(self) -> None:
        """Show the preview once typing pauses (each keystroke starts the wait again)."""
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_PAUSE, self._show_preview)

    def _show_filters(self, shown: list[InboxRow], now: datetime) -> None:
        # Counted once per read and per minute, not per keystroke (thousands of rows).
        if self._over_at != (id(self.rows), now.replace(second=0, microsecond=0)):
            self._over_at = (id(self.rows), now.replace(second=0, microsecond=0))
            limit = self.sla_limit
            self._over = sum(1 for row in self.rows if row.sla_over(now, limit) is not None)
        over = self._over
        marked = len(self.query_one(InboxTable).marked)
        text = filter_text(self.filter, len(shown), len(self.rows), over, marked)
        line = self.query_one("#triage-filters", Static)
        if text != self._filter_line:  # an update re-lays the screen out, even for the same words
            self._filter_line = text
            line.update(text)

    def _tick(self) -> None:
        self.query_one(InboxTable).tick(self.clock())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The preview follows the cursor (after a pause when the filter moved it as one types)."""
        event.stop()
        if self.focused is not None and self.focused.id == "triage-text":
            self._preview_later()
        else:
            self._show_preview()

    def _show_preview(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()  # shown now: a pending one would only repeat it
            self._preview_timer = None
        row = self.query_one(InboxTable).selected
        if row is not None and row == self._previewed:
            return  # typing in the filter kept the same referral on top: nothing to read
        self._stop_seen_timer()
        self._thread_shown = None
        self._previewed = row
        self.query_one("#triage-preview", VerticalScroll).scroll_home(animate=False)
        text = self.query_one("#triage-preview-text", Static)
        if row is None:
            text.update("")
            return
        text.update(self._preview_text(row, None, None))
        self._read_preview(row)

    @work(thread=True, exclusive=True, exit_on_error=False, group="triage-preview")
    def _read_preview(self, row: InboxRow) -> None:
        preview = self.inbox.preview(row.task_id)
        thread = self._thread_lines(row.task_id)
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._preview_read, row, preview, thread)

    def _thread_lines(self, task_id: str) -> list[tuple[str, bool]]:
        """The conversation of one referral, newest first: (line, from the other side)."""
        units = {self.hospital.id, *(d.id for d in self.departments)}
        return [
            (
                f"{message.sent[5:16].replace('T', ' ')} {message.sender_name}: {message.text}",
                not message.pending and (message.sender_org or "") not in units,
            )
            for message in reversed(self.store().thread(task_id))
        ]

    def _preview_read(
        self, row: InboxRow, preview: Preview | None, thread: list[tuple[str, bool]]
    ) -> None:
        selected = self.query_one(InboxTable).selected
        if selected is None or selected.task_id != row.task_id:
            return
        self.query_one("#triage-preview-text", Static).update(
            self._preview_text(row, preview, thread)
        )
        self._thread_shown = row.task_id
        if row.unread:
            self._stop_seen_timer()
            self._seen_timer = self.set_timer(SEEN_AFTER, self.thread_read)

    # ----- new messages seen -----------------------------------------------------------------

    def _stop_seen_timer(self) -> None:
        if self._seen_timer is not None:
            self._seen_timer.stop()
            self._seen_timer = None

    def thread_read(self) -> None:
        """The expert has the thread of the row under the cursor before them: mark it seen."""
        self._stop_seen_timer()
        row = self.query_one(InboxTable).selected
        if row is None or not row.unread or row.task_id != self._thread_shown:
            return  # nothing new, or the preview does not show this row's thread yet
        self._mark_seen(row.task_id)

    @work(thread=True, exit_on_error=False, group="triage-seen")
    def _mark_seen(self, task_id: str) -> None:
        self.inbox.mark_seen(task_id)
        self.app.call_from_thread(self._seen, task_id)

    def _seen(self, task_id: str) -> None:
        row = self.query_one(InboxTable).seen(task_id)
        if row is None:
            return
        self.rows = [row if r.task_id == task_id else r for r in self.rows]
        if self._previewed is not None and self._previewed.task_id == task_id:
            self._previewed = row  # the same referral: no new read of its preview

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: its thread, shown in the preview, has been read."""
        event.stop()
        self.thread_read()

    def action_scroll_preview(self, lines: int) -> None:
        """ctrl+↓ / ctrl+↑: scroll the preview without leaving the list."""
        self.query_one("#triage-preview", VerticalScroll).scroll_relative(
            y=lines * 3, animate=False
        )

    def _preview_text(
        self, row: InboxRow, preview: Preview | None, thread: list[tuple[str, bool]] | None
    ) -> Text:
        now = self.clock()
        # Names, reasons, summaries and messages are the referral's own text: data.
        text = Text.assemble(
            name_text(row.patient_name or "?", "bold"),
            f"  {sex_age_text(row, now)} · ",
            urgency_text(row.urgency),
            data_text(f" · {status_text(row.status)} · {wait_cell(row, now)}"),
        )
        colon = "：" if language() == "zh" else ": "
        text.append(f"\n{tr('Referred from')}{colon}")
        text.append_text(name_text(row.from_name or "—"))
        text.append(" → ")
        text.append_text(name_text(row.department or "—"))
        reason = (preview.reason if preview else "") or row.reason
        text.append(f"\n{tr('Reason')}{colon}")
        text.append_text(data_text(reason))
        # The conversation before the summary, newest first: what changed since the expert
        # last looked is at the top of the pane, not below a long summary.
        if thread is not None:
            text.append(f"\n{tr('Thread')}{colon}", style="bold")
            if row.unread:
                text.append(unread_words(row.unread), style="bold")
            if not thread:
                text.append(tr("No messages yet"))
            new = row.unread
            for line, theirs in thread:
                text.append("\n")
                if new and theirs:
                    new -= 1
                    text.append(f"{UNREAD_MARK} ", style="bold")
                else:
                    text.append("  ")
                text.append_text(data_block(line))
        if preview is not None and preview.decision:
            text.append(f"\n{tr('Decision')}{colon}", style="bold")
            text.append_text(data_block(preview.decision))
        if preview is not None and preview.summary:
            text.append(f"\n{tr('Summary')}{colon}", style="bold")
            text.append_text(data_block(preview.summary))
        return text

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place for worker failures: say what went wrong, keep the screen usable."""
        if event.state is WorkerState.ERROR and str(event.worker.group).startswith("triage"):
            self.notify(f"{tr('Could not')}: {event.worker.error}", severity="error", timeout=8)

    # ----- filters ---------------------------------------------------------------------------

    def _set_filter(self, *, typing: bool = False, **changes: Any) -> None:
        self.filter = replace(self.filter, **changes)
        self.show_rows(typing=typing)

    def action_cycle_urgency(self) -> None:
        """All urgencies, then stat, asap, urgent, routine alone."""
        steps: list[str | None] = [None, *URGENCIES]
        self._set_filter(urgency=steps[(steps.index(self.filter.urgency) + 1) % len(steps)])

    def action_cycle_department(self) -> None:
        """All departments, then each in turn."""
        steps: list[str | None] = [None, *(d.name for d in self.departments)]
        current = steps.index(self.filter.department) if self.filter.department in steps else 0
        self._set_filter(department=steps[(current + 1) % len(steps)])

    def action_cycle_status(self) -> None:
        """Awaiting triage, all open ones, each status alone, then all."""
        current = (
            STATUS_STEPS.index(self.filter.statuses) if self.filter.statuses in STATUS_STEPS else 0
        )
        self._set_filter(statuses=STATUS_STEPS[(current + 1) % len(STATUS_STEPS)])

    def action_cycle_waiting(self) -> None:
        """Any wait, then longer than 1 h, 4 h, 1 day, 3 days, 7 days."""
        current = WAIT_STEPS.index(self.filter.waiting_longer_than)
        self._set_filter(waiting_longer_than=WAIT_STEPS[(current + 1) % len(WAIT_STEPS)])

    def action_text_filter(self) -> None:
        """Show the text filter and put the cursor in it."""
        field = self.query_one("#triage-text", Input)
        field.display = True
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Each keystroke narrows the rows in memory."""
        if event.input.id == "triage-text":
            event.stop()
            self._set_filter(text=event.value, typing=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter goes back to the list, keeping the filter."""
        if event.input.id == "triage-text":
            event.stop()
            self._leave_text_filter()

    def key_escape(self) -> None:
        """Esc in the text filter clears it and goes back to the list (Enter keeps it).

        As in the app's other searches (patient search, the follow-up list's filter), Esc
        abandons what was typed: a filter left on after Esc hid referrals without a word.
        """
        if self.focused is not None and self.focused.id == "triage-text":
            field = self.query_one("#triage-text", Input)
            if field.value:
                field.value = ""  # Input.Changed comes after; the filter is cleared here at once
                self._set_filter(text="")
            self._leave_text_filter()

    def _leave_text_filter(self) -> None:
        field = self.query_one("#triage-text", Input)
        field.display = bool(field.value)
        self.query_one(InboxTable).focus()
        self._show_preview()  # back on the list: no need to wait for a pause in typing

    # ----- actions -----------------------------------------------------------------------------

    def action_mark(self) -> None:
        """Mark the referral under the cursor for a bulk accept or decline (space again unmarks)."""
        self.query_one(InboxTable).toggle_mark()
        self._show_filters(self.query_one(InboxTable).rows_shown, self.clock())

    def store(self) -> ReferralStore:
        """The referral store of this hospital: every action is a local write with its outbox."""
        return ReferralStore(self.cache.engine, self.hospital, self.cache.practitioner_id)

    def action_open_chart(self) -> None:
        """Open the chart of the selected referral's patient."""
        self.thread_read()
        row = self.query_one(InboxTable).selected
        if row is None or not row.patient_id:
            return
        from clinic_tui.screens.chart import ChartScreen

        self.app.push_screen(ChartScreen(self.cache, row.patient_id, self.clock))

    def action_accept(self) -> None:
        """Accept (with an appointment or as a teleconsultation)."""
        from clinic_tui.screens.triage_actions import start_action

        start_action(self, "accept")

    def action_decline(self) -> None:
        """Decline with a coded reason and a text."""
        from clinic_tui.screens.triage_actions import start_action

        start_action(self, "decline")

    def action_ask(self) -> None:
        """Ask the referring doctor for information (the thread, with an input)."""
        from clinic_tui.screens.triage_actions import start_action

        start_action(self, "ask")

    def action_forward(self) -> None:
        """Forward to another department."""
        from clinic_tui.screens.triage_actions import start_action

        start_action(self, "forward")

    def action_complete(self) -> None:
        """Complete with advice and a downward referral (a follow-up plan with its due date)."""
        from clinic_tui.screens.triage_actions import start_action

        start_action(self, "complete")
