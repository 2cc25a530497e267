"""Today's queue: the first screen. Call the next patient, register walk-ins, change statuses.

The screen reads and writes through the QueueRepository the app owns, always in
a worker of the "queue" group; after each change it re-reads the cache and puts
the cursor back on the same registration. Undo is the repository's stack.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState, get_current_worker

from clinic_tui.domain.models import PatientSummary, Priority, QueueEntry, QueueStatus
from clinic_tui.domain.queue_rules import display_order, needs_attention
from clinic_tui.domain.registration import NewPatient, prefill_from_query
from clinic_tui.i18n import N_, language, tr
from clinic_tui.messages import CacheChanged, SyncCounts
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.referral.model import FollowUpItem
from clinic_tui.referral.reads import queue_referral_counts
from clinic_tui.screens.follow_ups import follow_ups_line
from clinic_tui.screens.patient_search import PatientSearchScreen
from clinic_tui.screens.queue_status import StatusScreen
from clinic_tui.screens.walk_in import WalkInRequest, WalkInScreen, WalkInSearchScreen
from clinic_tui.screens.walk_in_dialogs import ConfirmScreen
from clinic_tui.widgets.data_text import name_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.queue_table import QueueTable
from clinic_tui.widgets.sync_badge import SyncBadge
from clinic_tui.widgets.unread_mark import unread_referrals_words

if TYPE_CHECKING:
    from clinic_tui.domain.registration import PossibleDuplicate


_ALARM_STYLE = {Priority.EMERGENCY: "bold red", Priority.URGENT: "bold dark_orange"}

_STATUS = {QueueStatus.WAITING: "Waiting", QueueStatus.IN_CONSULTATION: "In consultation"}

WARM_UP_DELAY_SECONDS = 0.5
"""How long after the first paint the ORM starts loading in the background."""
POLL_SECONDS = 30.0
"""How often the waiting times move on."""

_WEEKDAY_ZH = "一二三四五六日"


@dataclass(frozen=True)
class Outcome:
    """What a queue change reports back: a notice, the row to select, a chart to open."""

    notice: str | None = None
    keep: str | None = None
    open_patient: str | None = None


Change = Callable[[], Outcome]
"""A queue change, run in the worker thread."""


_SHORT_LABELS = {"Emergency": N_("Emerg"), "In consultation": N_("In consult")}
"""Shorter words for the summary when the full ones do not fit (80 columns, large counts)."""


def counts_text(entries: list[QueueEntry], width: int | None = None) -> Text:
    """'Waiting 17 (!!! Emergency 1, !! Urgent 2) · In consultation 2 · Done 3 · Left 1'.

    Emergencies and urgents still waiting are counted by name (with their markers), and
    only when there are some: '!!! 0' would cry wolf. Where the line would not fit in
    `width` cells, shorter words ('Emerg', 'In consult') keep every count on it.
    """
    text = _counts_line(entries, short=False)
    if width is not None and text.cell_len > width:
        text = _counts_line(entries, short=True)
    return text


def _counts_line(entries: list[QueueEntry], *, short: bool) -> Text:
    def label(words: str) -> str:
        return tr(_SHORT_LABELS.get(words, words) if short else words)

    counts = dict.fromkeys(QueueStatus, 0)
    for entry in entries:
        counts[entry.status] += 1
    waiting = [entry for entry in entries if needs_attention(entry)]
    text = Text(f"{tr('Waiting')} {counts[QueueStatus.WAITING]}")
    alarms = []
    for priority, words in ((Priority.EMERGENCY, N_("Emergency")), (Priority.URGENT, N_("Urgent"))):
        count = sum(1 for entry in waiting if entry.priority is priority)
        if count:
            alarms.append((f"{priority.marker} {label(words)} {count}", _ALARM_STYLE[priority]))
    if alarms:
        zh = language() == "zh"
        text.append("（" if zh else " (")
        for index, (shown, style) in enumerate(alarms):
            text.append(("，" if zh else ", ") if index else "")
            text.append(shown, style=style)
        text.append("）" if zh else ")")
    for status, words in (
        (QueueStatus.IN_CONSULTATION, "In consultation"),
        (QueueStatus.DONE, "Done"),
        (QueueStatus.LEFT, N_("Left")),
    ):
        text.append(f" · {label(words)} {counts[status]}")
    return text


class QueueScreen(Screen[None]):
    """The clinic's queue for today, with one-key actions."""

    BINDINGS = [
        Binding("n", "call_next", tr("Call next")),
        Binding("enter", "open_chart", tr("Open chart"), show=False),
        Binding("r", "walk_in", tr("Walk-in")),
        Binding("s", "change_status", tr("Status")),
        Binding("u", "undo", tr("Undo")),
        Binding("slash", "search", tr("Search")),
        # Off the full footer: the badge names the key when there are conflicts.
        Binding("c", "conflicts", tr("Conflicts"), show=False),
        # In help (?) and the palette; the follow-up line names F when any is due.
        Binding("R", "referrals", tr("Referrals"), show=False),
        Binding("F", "follow_ups", tr("Follow-ups due"), show=False),
        # The chronic-disease list (issue #21): its own key, see screens/followup_list.py.
        Binding("v", "chronic_follow_ups", tr("Chronic follow-ups"), show=False),
    ]

    def __init__(self, cache: ClinicCache, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.cache = cache
        self.clock = clock
        self.entries: list[QueueEntry] = []
        """Today's registrations as last read from the cache."""
        self.pending_count = 0
        """Local changes not yet uploaded, as last read."""
        self._changes: deque[Change] = deque()
        self._warmed_up = False

    def compose(self) -> ComposeResult:
        """Header lines, the table, the footer."""
        with Horizontal(id="queue-heading"):
            yield Static(id="queue-title")
            yield SyncBadge(conflicts_key="c", id="queue-badge")
        yield Static(id="queue-counts")
        yield Static(id="queue-follow-ups")
        yield QueueTable(id="queue-table")
        yield Static(tr("Loading the queue…"), id="queue-empty")
        # Notices get a row of their own: a toast would cover the last rows' priority and status.
        yield NoticeLine(id="queue-notice")
        yield KeyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Read the queue and keep the waiting times moving."""
        self._show_title()
        self.set_interval(POLL_SECONDS, self._tick)
        self.query_one(QueueTable).focus()

    def on_screen_resume(self) -> None:
        """Re-read on return from a chart or a dialog: something may have changed there."""
        self.refresh_queue()

    def on_cache_changed(self, _message: CacheChanged) -> None:
        """A sync wrote records: show them."""
        self.refresh_queue()

    # ----- reading and showing ---------------------------------------------------------------

    def apply(self, change: Change) -> None:
        """Queue `change` for the worker; changes run in order, none is lost to a newer one."""
        self._changes.append(change)
        self.refresh_queue()

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    def refresh_queue(self) -> None:
        """Run the waiting changes in order, then re-read today's queue from the cache."""
        notices: list[str] = []
        keep: str | None = None
        open_patient: str | None = None
        while True:
            try:
                change = self._changes.popleft()
            except IndexError:
                break
            try:
                outcome = change()
            except Exception as error:  # shown to the user; the queue is re-read regardless
                notices.append(f"{tr('Could not')}: {error}")
                continue
            if outcome.notice:
                notices.append(outcome.notice)
            keep = outcome.keep or keep
            open_patient = outcome.open_patient
        # In the worker: the follow-up package is not on the queue's first paint.
        from clinic_tui.followup.visit_list import overdue_in_cache

        entries = self.cache.queue_today(self.clock().date())
        # Plain sqlite3 beside the queue's own read: no ORM before the first paint.
        follow_ups, unread = queue_referral_counts(
            self.cache.path, self.cache.clinic.id, self.clock().date()
        )
        chronic = overdue_in_cache(
            self.cache.path, self.cache.clinic.id or None, self.clock().date()
        )
        pending = self.cache.pending_changes()
        # Counted with every read, so the badge is right from the first paint.
        self.app.post_message(
            SyncCounts(
                pending=pending,
                conflicts=self.cache.open_conflicts(),
                last_synced=self.cache.last_sync(),
            )
        )
        if get_current_worker().is_cancelled and not notices and open_patient is None:
            return  # a newer refresh is under way; showing this one could go back in time
        self.app.call_from_thread(self._show, entries, pending, keep, notices)
        self.app.call_from_thread(self._show_follow_ups, follow_ups, unread, chronic)
        if open_patient is not None:
            self.app.call_from_thread(self._open_chart_of, open_patient)

    def _show(
        self, entries: list[QueueEntry], pending: int, keep: str | None, notices: list[str]
    ) -> None:
        first_read = not self._warmed_up
        self.entries = entries
        self.pending_count = pending
        table = self.query_one(QueueTable)
        table.show(display_order(entries), self.clock(), keep=keep)
        empty = self.query_one("#queue-empty", Static)
        empty.update(tr("The queue is empty"))
        empty.display = not entries
        self._show_title()
        self._show_counts()
        for notice in notices:
            if notice.startswith(tr("Could not")):
                self.notify(notice, severity="error", timeout=8)
            else:
                self.notify(notice, timeout=4)
        if first_read:
            # The queue came from a plain sqlite3 read. Load the ORM and repositories in the
            # background a moment later, so the first call, search or chart does not wait for
            # them, yet the import (which holds the GIL) does not slow the first paint.
            self._warmed_up = True
            self.set_timer(WARM_UP_DELAY_SECONDS, self._warm_up)

    def _warm_up(self) -> None:
        self.run_worker(self._warm_up_all, thread=True, exit_on_error=False, group="warm-up")

    def _warm_up_all(self) -> None:
        self.cache.warm_up()
        from clinic_tui.screens.preload import import_forms

        import_forms()  # the forms' and dialogs' code, so their first open waits for no import

    def _show_follow_ups(
        self, follow_ups: list[FollowUpItem], unread: int = 0, chronic: int = 0
    ) -> None:
        """The line of follow-ups due, referrals with new messages and overdue chronic
        follow-ups (with the key of their list), when there are any."""
        line = self.query_one("#queue-follow-ups", Static)
        text = (
            follow_ups_line(follow_ups, self.clock().date().isoformat()) if follow_ups else Text()
        )
        if unread:
            text.append("  " if follow_ups else "")
            text.append(unread_referrals_words(unread), style="bold")
        if chronic:
            text.append("  " if follow_ups or unread else "")
            text.append(tr("Chronic follow-ups overdue {count} [v]").format(count=chronic))
        line.update(text)
        line.display = bool(follow_ups or unread or chronic)

    def _show_title(self) -> None:
        now = self.clock()
        if language() == "zh":
            day = f"{now:%Y-%m-%d} 星期{_WEEKDAY_ZH[now.weekday()]}"
        else:
            day = f"{now:%Y-%m-%d %a}"
        title = Text.assemble(
            name_text(self.cache.clinic.name, "bold"), " · ", tr("Queue"), " · ", day
        )
        self.query_one("#queue-title", Static).update(title)

    def _show_counts(self) -> None:
        counts = self.query_one("#queue-counts", Static)
        # Before the first layout the line has no width yet: the screen's, less its padding.
        width = counts.content_region.width or self.size.width - 2
        counts.update(counts_text(self.entries, width))

    def on_resize(self) -> None:
        """Words of the summary line to suit the new width."""
        if self.query("#queue-counts"):
            self._show_counts()

    def _tick(self) -> None:
        self.query_one(QueueTable).tick(self.clock())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place for worker failures: say what went wrong, keep the screen usable."""
        if event.state is WorkerState.ERROR and event.worker.group == "queue":
            error = event.worker.error
            self.notify(f"{tr('Could not')}: {error}", severity="error", timeout=8)

    # ----- actions ---------------------------------------------------------------------------

    @property
    def selected(self) -> QueueEntry | None:
        """The registration under the cursor."""
        return self.query_one(QueueTable).selected

    def action_call_next(self) -> None:
        """Call the next patient (emergency first, then the longest wait) and open the chart."""
        queue, now = self.cache.queue, self.clock()

        def change() -> Outcome:
            called = queue.call_next(now)
            if called is None:
                return Outcome(tr("Nobody is waiting"))
            return Outcome(
                f"{tr('Called')}: {called.number} {called.patient_name}",
                keep=called.encounter_id,
                open_patient=called.patient_id,
            )

        self.apply(change)

    def action_open_chart(self) -> None:
        """Open the chart of the selected registration's patient."""
        if self.selected is not None:
            self._open_chart_of(self.selected.patient_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table handles Enter itself) opens the chart."""
        event.stop()
        self.action_open_chart()

    def _open_chart_of(self, patient_id: str) -> None:
        if patient_id:
            # Imported on first use: the chart and its editing keys are not on the first paint.
            from clinic_tui.screens.chart import ChartScreen

            self.app.push_screen(ChartScreen(self.cache, patient_id, self.clock))

    def action_change_status(self) -> None:
        """Ask for the new state of the selected registration."""
        entry = self.selected
        if entry is None:
            return

        def chosen(result: tuple[QueueStatus, str | None] | None) -> None:
            if result is None:
                return
            status, reason = result
            queue, now = self.cache.queue, self.clock()

            def change() -> Outcome:
                queue.set_status(entry.encounter_id, status, now, reason)
                return Outcome(keep=entry.encounter_id)

            self.apply(change)

        self.app.push_screen(StatusScreen(entry), chosen)

    def action_undo(self) -> None:
        """Revert this session's most recent queue action."""
        queue, now = self.cache.queue, self.clock()
        keep = self.selected.encounter_id if self.selected else None
        names = {e.encounter_id: f"{e.number} {e.patient_name}" for e in self.entries}

        def change() -> Outcome:
            token = queue.undo_last(now)
            if token is None:
                return Outcome(tr("Nothing to undo"), keep=keep)
            who = names.get(token.encounter_id, token.description)
            return Outcome(f"{tr('Undone')}: {who}", keep=token.encounter_id)

        self.apply(change)

    def action_walk_in(self) -> None:
        """Find the patient first; Ctrl+N there is a new patient, with what was typed."""
        # The finder, not cache.patients: that would load the ORM here, on the UI thread.
        search = WalkInSearchScreen(self.cache.finder)

        def chosen(patient_id: str | None) -> None:
            if patient_id is not None:
                self._load_patient_for_walk_in(patient_id)
            elif search.new_patient:
                self._open_walk_in_form(None, prefill_from_query(search.last_query))

        self.app.push_screen(search, chosen)

    # A group of its own: the refresh that follows the search dialog closing must not cancel it.
    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-walk-in")
    def _load_patient_for_walk_in(self, patient_id: str) -> None:
        patient = self.cache.patients.get(patient_id)
        if patient is not None:
            self.app.call_from_thread(self._open_walk_in_form, patient)

    def _open_registration(self, patient_id: str) -> QueueEntry | None:
        for entry in self.entries:
            if entry.patient_id == patient_id and entry.status in _STATUS:
                return entry
        return None

    def _open_walk_in_form(
        self, patient: PatientSummary | None, prefill: dict[str, str] | None = None
    ) -> None:
        note = None
        if patient is not None:
            active = self._open_registration(patient.id)
            if active is not None:
                # A second registration is allowed (a new complaint), but never by accident.
                label = tr("Already in today's queue as")
                note = f"! {label} {active.number} ({tr(_STATUS[active.status])})"
        finder = self.cache.finder

        def find_duplicates(new: NewPatient) -> list[PossibleDuplicate]:
            return finder.possible_duplicates(new.name, new.birth_date, new.identifier, new.phone)

        form = WalkInScreen(
            patient,
            self.clock().date(),
            note,
            prefill=prefill,
            find_duplicates=find_duplicates,
            clock=self.clock,
        )
        self.app.push_screen(form, self._register)

    def _register(self, request: WalkInRequest | None) -> None:
        if request is None:
            return
        if isinstance(request.patient, str) and not request.again:
            active = self._open_registration(request.patient)
            if active is not None:
                self._ask_register_again(request, active)
                return
        queue, now = self.cache.queue, self.clock()

        def change() -> Outcome:
            entry = queue.register_walk_in(
                request.patient,
                request.chief_complaint,
                request.priority,
                now,
                again=request.again,
            )
            return Outcome(
                f"{tr('Registered')}: {entry.number} {entry.patient_name}", keep=entry.encounter_id
            )

        self.apply(change)

    def _ask_register_again(self, request: WalkInRequest, active: QueueEntry) -> None:
        """Someone already waiting (or being seen): a second number only on a clear yes."""
        question = tr(
            "{name} is already in today's queue as {number} ({status}). Register again?"
        ).format(name=active.patient_name, number=active.number, status=tr(_STATUS[active.status]))

        def answered(again: bool | None) -> None:
            if again:
                self._register(replace(request, again=True))

        confirm = ConfirmScreen(question, tr("Register again"), tr("Keep the one registration"))
        self.app.push_screen(confirm, answered)

    def action_conflicts(self) -> None:
        """Open the conflicts waiting for a decision."""
        from clinic_tui.screens.conflicts import ConflictsScreen

        self.app.push_screen(ConflictsScreen(self.cache, self.clock))

    def action_referrals(self) -> None:
        """R: the clinic's referrals, sent and received, with their states."""
        from clinic_tui.screens.referrals import ReferralsScreen

        self.app.push_screen(ReferralsScreen(self.cache, self.clock))

    def action_follow_ups(self) -> None:
        """F: follow-ups the hospital sent down, due today or overdue."""
        from clinic_tui.screens.follow_ups import FollowUpsScreen

        self.app.push_screen(FollowUpsScreen(self.cache, self.clock))

    def action_chronic_follow_ups(self) -> None:
        """v: patients in a chronic programme due a 随访 this week, overdue or unseen."""
        from clinic_tui.screens.followup_list import FollowUpListScreen

        settings = getattr(self.app, "settings", None)
        printer = getattr(settings, "printer", None)
        self.app.push_screen(FollowUpListScreen(self.cache, self.clock, printer=printer))

    def action_search(self) -> None:
        """Find any patient and open their chart."""

        def chosen(patient_id: str | None) -> None:
            if patient_id is not None:
                self._open_chart_of(patient_id)

        self.app.push_screen(PatientSearchScreen(self.cache.finder), chosen)
