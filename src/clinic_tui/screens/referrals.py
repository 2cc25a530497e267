"""Referrals: the clinic's list (queue key R, or one patient's from the chart) and one referral.

Each state is shown in words ("Accepted", "已拒绝"), urgency with its text marker, a
`*` on what is not yet on the server. The lists re-read the cache after every sync,
so a state changed at the hospital shows as soon as it has come down. A referral's
screen shows what was sent, what came back (advice, follow-up plan, reason for a
decline) and the conversation; `a` answers, `q` asks, `x` withdraws one this clinic sent.
A referral with messages from the other side not yet read shows `✉2` in the list; opening
it marks them read (the referral's screen still says which were new).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from clinic_tui.domain.referral_workflow import ReferralAction, allowed_actions, status_words
from clinic_tui.i18n import N_, language, tr
from clinic_tui.messages import CacheChanged, SyncCounts
from clinic_tui.referral.fhir_shapes import MESSAGE_KINDS, category_words, priority_words
from clinic_tui.referral.model import ReferralDetail, ReferralItem
from clinic_tui.screens.chart_form import ChartForm, Write
from clinic_tui.widgets.data_text import data_block, data_text, name_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.queue_table import fit
from clinic_tui.widgets.referral_section import follow_up_line
from clinic_tui.widgets.row_table import CURSOR_MARK
from clinic_tui.widgets.sync_badge import SyncBadge
from clinic_tui.widgets.text_box import TextBox
from clinic_tui.widgets.unread_mark import UNREAD_MARK, unread_short, unread_words

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache
    from clinic_tui.referral.store import ReferralStore


def referral_store(cache: ClinicCache) -> ReferralStore:
    """The referral store of `cache`'s clinic (built on first use: it loads the ORM)."""
    from clinic_tui.referral.store import ReferralStore

    return ReferralStore(cache.engine, cache.clinic, cache.practitioner_id)


class MessageForm(ChartForm):
    """One message of the thread: a question or an answer (ctrl+s sends)."""

    FIELD_ORDER = ("message",)

    def __init__(self, title: str, write: Callable[[str], str]) -> None:
        super().__init__(title)
        self.write_message = write

    def fields(self) -> ComposeResult:
        """One text box."""

        yield TextBox("", id="message", classes="note-text", soft_wrap=True)
        yield Static("", id="message-error", classes="field-error")

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Refuse an empty message; the write stores it."""
        from textual.widgets import TextArea

        text = self.query_one("#message", TextArea).text
        if not text.strip():
            return {"message": N_("The message is empty")}, None
        write = self.write_message
        return {}, lambda: write(text)


_COLUMNS = (
    ("mark", ""),
    ("status", "Status"),
    ("priority", N_("Urg.")),
    ("patient", "Patient"),
    ("where", N_("To / from")),
    ("reason", "Reason"),
    ("sent", "Sent"),
    ("unread", UNREAD_MARK),
)
_WIDTHS = {
    "mark": 1,
    "status": 11,
    "priority": 4,
    "patient": 8,
    "where": 14,
    "sent": 5,
    "unread": 3,
}
"""Display cells of every column but the reason (wide characters count two)."""


def _moment(stamp: str | None) -> str:
    """'2026-11-24 09:30' from an ISO instant ('' when absent)."""
    return (stamp or "")[:16].replace("T", " ")


def _fit(text: str, cells: int) -> Text:
    """`text` (data) cut to `cells` display cells, with … when cut (Chinese counts two a
    character), as Text: never markup."""
    return Text(fit(text, cells))


class ReferralsScreen(Screen[None]):
    """A list of referrals: the clinic's (sent and received) or one patient's."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "back", tr("Back")),
        # The screen's, before the table's: an Enter typed before the list has loaded went
        # to the empty table (or found no row here) and was lost; now it waits for the list.
        Binding("enter", "open", tr("Open"), priority=True),
    ]

    def __init__(
        self,
        cache: ClinicCache,
        clock: Callable[[], datetime],
        patient_id: str | None = None,
        patient_name: str = "",
    ) -> None:
        super().__init__()
        self.cache = cache
        self.clock = clock
        self.patient_id = patient_id
        self.patient_name = patient_name
        self.items: list[ReferralItem] = []
        self._reason_cells = 20
        self._loaded = False
        self._open_when_loaded = False
        """Enter came before the first read: open the first referral once it is shown."""

    def compose(self) -> ComposeResult:
        """Title and badge, the table, notices, keys."""
        with Horizontal(classes="referral-heading"):
            yield Static(self._title(), classes="referral-title")
            yield SyncBadge(compact=True)
        yield DataTable(id="referral-table", cursor_type="row", zebra_stripes=False)
        yield Static(tr("Loading referrals…"), id="referral-empty")
        yield NoticeLine(id="referral-notice")
        yield KeyFooter(compact=True, show_command_palette=False)

    def _title(self) -> Text:
        if self.patient_id is None:
            return Text.assemble(name_text(self.cache.clinic.name, "bold"), " · ", tr("Referrals"))
        name = name_text(self.patient_name).plain
        return Text(tr("Referrals of {name}").format(name=name), style="bold")

    def on_mount(self) -> None:
        """Columns, then the first read."""
        table = self.query_one(DataTable)
        # Fixed widths so the date stays in sight at 80 columns; the reason takes the rest.
        reason = max(12, self.app.size.width - sum(_WIDTHS.values()) - 2 * (len(_WIDTHS) + 1) - 2)
        self._reason_cells = reason
        for key, label in _COLUMNS:
            # The marker's column has no title (gettext gives its header for an empty id).
            title = tr(label) if label else ""
            table.add_column(title, key=key, width=_WIDTHS.get(key, reason))
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        """Back from a referral: its state may have changed."""
        self.load()

    def on_cache_changed(self, _message: CacheChanged) -> None:
        """A sync brought changes: live states."""
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="referrals")
    def load(self) -> list[ReferralItem]:
        """Read the list in a thread."""
        store = referral_store(self.cache)
        if self.patient_id is not None:
            return store.referrals_for_patient(self.patient_id)
        return store.referrals_of_clinic("all")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the list, or say what went wrong."""
        if event.worker.group != "referrals":
            return
        if event.state is WorkerState.SUCCESS and isinstance(event.worker.result, list):
            self.show(event.worker.result)
        elif event.state is WorkerState.ERROR:
            self.notify(f"{tr('Could not')}: {event.worker.error}", severity="error", timeout=8)

    def show(self, items: list[ReferralItem]) -> None:
        """Redraw the rows, keeping the cursor on the same referral."""
        table = self.query_one(DataTable)
        keep = self.selected.task_id if self.selected else None
        self.items = items
        table.clear()
        clinic = self.cache.clinic.id
        for item in items:
            status = data_text(status_words(item.status) + ("*" if item.pending else ""))
            marker = (
                priority_words(item.priority).split(" ")[0] if item.priority != "routine" else ""
            )
            if item.requester_org == clinic:
                where = "→ " + " ".join(p for p in (item.owner_name, item.department_name) if p)
            else:
                where = "← " + item.requester_name
            reason = item.reason
            if item.category == "consultation":
                reason = f"{category_words(item.category)} · {reason}"
            table.add_row(
                Text(""),
                status,
                data_text(marker, "bold red"),
                _fit(item.patient_name, _WIDTHS["patient"]),
                _fit(where, _WIDTHS["where"]),
                _fit(reason, self._reason_cells),
                data_text((item.authored_on or "")[5:10]),
                unread_short(item.unread),  # '✉2': messages from the other side not yet read
                key=item.task_id,
            )
        if keep is not None and keep in {i.task_id for i in items}:
            table.move_cursor(row=table.get_row_index(keep))
        self._mark_cursor()
        empty = self.query_one("#referral-empty", Static)
        empty.update(tr("No referrals yet"))
        empty.display = not items
        self._loaded = True
        if self._open_when_loaded:
            self._open_when_loaded = False
            self.action_open()

    @property
    def selected(self) -> ReferralItem | None:
        """The referral under the cursor."""
        table = self.query_one(DataTable)
        if not self.items or table.cursor_row is None or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        """The marker follows the cursor."""
        self._mark_cursor()

    def _mark_cursor(self) -> None:
        """`▶` on the cursor's row only: with NO_COLOR its shade alone did not show which
        referral Enter opens (the queue and the inbox mark theirs the same way)."""
        table = self.query_one(DataTable)
        for row in range(table.row_count):
            mark = CURSOR_MARK if row == table.cursor_row else ""
            if str(table.get_cell_at(Coordinate(row, 0))) != mark:
                table.update_cell_at(Coordinate(row, 0), Text(mark))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens it."""
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Open the referral under the cursor (the first, once read, if the list is not yet)."""
        if not self._loaded:
            self._open_when_loaded = True
            return
        if self.selected is not None:
            self.app.push_screen(ReferralScreen(self.cache, self.clock, self.selected.task_id))

    def action_back(self) -> None:
        """Back to where the list was opened from."""
        self.dismiss(None)


class ReferralScreen(Screen[None]):
    """One referral: what was sent, what came back, and the conversation."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "back", tr("Back")),
        Binding("a", "answer", tr("Answer")),
        Binding("q", "ask", tr("Ask")),
        Binding("x", "withdraw", tr("Withdraw")),
    ]

    def __init__(self, cache: ClinicCache, clock: Callable[[], datetime], task_id: str) -> None:
        super().__init__()
        self.cache = cache
        self.clock = clock
        self.task_id = task_id
        self.detail: ReferralDetail | None = None

    def compose(self) -> ComposeResult:
        """Heading, the referral in a scrolling column, keys."""
        with Horizontal(classes="referral-heading"):
            yield Static(Text(tr("Referral"), style="bold"), classes="referral-title")
            yield SyncBadge(compact=True)
        with VerticalScroll(id="referral-body"):
            yield Static(tr("Loading referrals…"), id="referral-facts")
            yield Static("", id="referral-summary", classes="referral-box")
            yield Static("", id="referral-outcome", classes="referral-box")
            yield Static("", id="referral-thread", classes="referral-box")
        yield NoticeLine(id="referral-notice")
        yield KeyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """First read; the body takes the keys for scrolling."""
        self.query_one("#referral-body").focus()
        self.load()

    def on_cache_changed(self, _message: CacheChanged) -> None:
        """A sync brought an answer or a new state."""
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="referral")
    def load(self) -> ReferralDetail | None:
        """Read the referral, its summary and thread; the thread is now seen here."""
        store = referral_store(self.cache)
        detail = store.detail(self.task_id)
        if detail is not None and detail.item.unread:
            # Opening the referral is reading it: the lists' '✉' mark goes. The detail keeps
            # its count, so this screen still shows which messages were new.
            store.mark_thread_seen(self.task_id)
        return detail

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show what was read; report a failed write or read."""
        group = event.worker.group
        if group == "referral" and event.state is WorkerState.SUCCESS:
            result = event.worker.result
            if isinstance(result, ReferralDetail):
                self.show(result)
        elif group == "referral-write" and event.state is WorkerState.SUCCESS:
            self.notify(str(event.worker.result), timeout=4)
            self.load()
        elif group in ("referral", "referral-write") and event.state is WorkerState.ERROR:
            error = event.worker.error
            message = getattr(error, "message", None)
            text = message() if callable(message) else str(error)
            self.notify(f"{tr('Could not')}: {text}", severity="error", timeout=8)

    def show(self, detail: ReferralDetail) -> None:
        """Facts, summary, outcome and thread, each in words."""
        self.detail = detail
        item = detail.item
        clinic = self.cache.clinic.id
        # Every value below is the referral's own text: data, never markup.
        facts = Text()
        facts.append_text(name_text(item.patient_name, "bold"))
        facts.append("  ")
        facts.append_text(data_text(f"[{status_words(item.status)}]", "bold reverse"))
        if item.pending:
            facts.append(" *")
        facts.append_text(
            data_text(f"  {priority_words(item.priority)}  {category_words(item.category)}")
        )
        facts.append("\n")
        sender = tr("this clinic") if item.requester_org == clinic else item.requester_name
        # A Chinese row takes a full-width colon, as the inbox's preview writes its labels.
        colon = "：" if language() == "zh" else ": "
        target = " ".join(p for p in (item.owner_name, item.department_name) if p)
        facts.append_text(name_text(sender))
        facts.append(" → ")
        facts.append_text(name_text(target))
        if detail.specialty:
            facts.append(f" · {tr('Specialty')}{colon}")
            facts.append_text(name_text(detail.specialty))
        facts.append(f"\n{tr('Reason')}{colon}")
        facts.append_text(data_text(item.reason))
        facts.append(f" · {tr('Sent')}{colon}")
        facts.append_text(data_text(_moment(item.authored_on)))
        if item.appointment:
            facts.append(f"\n{tr('appointment')}{colon}")
            facts.append_text(data_text(item.appointment[:10]))
        if item.business_status:
            facts.append("\n")
            facts.append_text(data_text(item.business_status))
        if item.status_reason:
            label = tr("Declined because") if item.status == "rejected" else tr("Reason")
            facts.append(f"\n{label}{colon}")
            facts.append_text(data_text(item.status_reason))
        self.query_one("#referral-facts", Static).update(facts)
        summary = self.query_one("#referral-summary", Static)
        summary.border_title = tr("Summary sent")
        summary.update(data_block(detail.summary or "—"))
        outcome = self.query_one("#referral-outcome", Static)
        outcome.display = bool(detail.advice or detail.follow_up)
        outcome.border_title = tr("Advice")
        body = data_block(detail.advice)
        if detail.follow_up is not None:
            body.append("\n")
            body.append_text(follow_up_line(detail.follow_up, self.clock().date()))
        outcome.update(body)
        thread = self.query_one("#referral-thread", Static)
        thread.border_title = tr("Conversation")
        lines = Text()
        if item.unread:
            lines.append(unread_words(item.unread) + "\n", style="bold")
        # The last `unread` messages from the other side are the new ones.
        new_ids = [m.id for m in detail.thread if not m.from_here and not m.pending]
        new_ids = new_ids[len(new_ids) - item.unread :] if item.unread else []
        for message in detail.thread:
            kind = tr(MESSAGE_KINDS.get(message.kind, ("Message", ""))[0])
            who = tr("this clinic") if message.from_here else message.sender_name
            lines.append_text(data_text(f"{_moment(message.sent)}  ", "bold"))
            lines.append_text(name_text(who, "bold"))
            lines.append(f" · {kind}", style="bold")
            lines.append(" *" if message.pending else "")
            if message.id in new_ids:
                lines.append(f" {UNREAD_MARK}", style="bold")
            lines.append("\n  ")
            lines.append_text(data_block(message.text))
            lines.append("\n")
        thread.update(lines if detail.thread else Text(tr("No messages yet"), style="italic"))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only what the referral's state and this clinic's side allow."""
        if self.detail is None or action not in ("answer", "ask", "withdraw"):
            return True
        allowed = allowed_actions(self.detail.item.status)
        if action == "withdraw":
            mine = self.detail.item.requester_org == self.cache.clinic.id
            return mine and ReferralAction.CANCEL in allowed
        return ReferralAction.ASK in allowed

    @work(thread=True, exclusive=True, exit_on_error=False, group="referral-write")
    def _write(self, write: Callable[[], str]) -> str:
        return write()

    def _message(self, kind: str) -> None:
        store, task_id, clock = referral_store(self.cache), self.task_id, self.clock
        app, cache = self.app, self.cache
        title = tr("Write your answer") if kind == "answer" else tr("Write your question")

        def write(text: str) -> str:
            from clinic_tui.domain.referral_workflow import IllegalTransition
            from clinic_tui.offline_cache.chart_edits import ChartEditError
            from clinic_tui.referral.store import ReferralError

            try:
                if kind == "answer":
                    store.answer(task_id, text, clock())
                else:
                    store.ask(task_id, text, clock())
            except (ReferralError, IllegalTransition) as refused:
                raise ChartEditError(refused.message()) from refused
            # The message waits in the outbox: the badge counts it at once (thread-safe post).
            app.post_message(SyncCounts(pending=cache.pending_changes()))
            # Saved here, not sent: it leaves with the next sync (the badge counts it).
            if kind == "answer":
                return tr("Answer saved; it goes with the next sync")
            return tr("Question saved; it goes with the next sync")

        def closed(notice: str | None) -> None:
            if notice:
                self.notify(notice, timeout=4)
                self.load()

        self.app.push_screen(MessageForm(title, write), closed)

    def action_answer(self) -> None:
        """a: answer the other side."""
        self._message("answer")

    def action_ask(self) -> None:
        """q: ask the other side a question."""
        self._message("question")

    def action_withdraw(self) -> None:
        """x: withdraw a referral this clinic sent (after a yes)."""
        from clinic_tui.screens.discard_dialog import ConfirmScreen

        store, task_id, clock = referral_store(self.cache), self.task_id, self.clock

        app, cache = self.app, self.cache

        def withdraw() -> str:
            store.cancel(task_id, "", clock())
            app.post_message(SyncCounts(pending=cache.pending_changes()))
            return tr("Referral withdrawn")

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(withdraw)

        self.app.push_screen(ConfirmScreen(tr("Withdraw this referral?")), answered)

    def action_back(self) -> None:
        """Back to the list or the chart."""
        self.dismiss(None)
