"""The triage inbox's action forms: accept, decline, ask, forward, complete.

Each form checks its fields, then writes through the ReferralStore in a worker
(one local write with its outbox entry per referral). An action the referral's
state does not allow is refused before any form opens, with the state
machine's own message; on marked rows (bulk) the allowed ones are offered after
a confirmation that says how many are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select, Static
from textual.worker import Worker, WorkerState

from clinic_tui.domain.referral_workflow import (
    IllegalTransition,
    ReferralAction,
    ReferralStatus,
    next_status,
)
from clinic_tui.i18n import N_, language, tr
from clinic_tui.referral.fhir_shapes import DECLINE_REASONS
from clinic_tui.referral.model import FollowUpPlan
from clinic_tui.screens.chart_form import ChartForm, Write, field_row
from clinic_tui.screens.walk_in_dialogs import ConfirmScreen
from clinic_tui.widgets.data_text import data_block, data_text, name_text
from clinic_tui.widgets.lazy_select import LazySelect
from clinic_tui.widgets.tick_box import TickBox

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

    from clinic_tui.referral.inbox import Department, InboxFilter, InboxRow
    from clinic_tui.referral.store import ReferralStore
    from clinic_tui.widgets.inbox_table import InboxTable


@dataclass(frozen=True)
class AfterAction:
    """Where the cursor goes once the inbox is read again after an action, and what to say."""

    keep: str | None
    """The row the cursor was on: it stays there if that row is still in view."""
    fallback: str | None
    """Else this row: the next one below (above at the end) not acted on."""
    notice: str = ""
    """What the action said (an accept's notice, extended if its referrals left the view)."""
    accepted: tuple[tuple[str, str], ...] = ()
    """(task id, patient name) of each referral accepted."""


class InboxScreen(Protocol):
    """What the actions need of screens.triage.TriageScreen (which imports this module)."""

    rows: list[InboxRow]
    departments: list[Department]
    filter: InboxFilter
    clock: Callable[[], datetime]

    @property
    def app(self) -> App[Any]:
        """The running app."""

    def thread_read(self) -> None:
        """Mark the previewed thread read."""

    def store(self) -> ReferralStore:
        """The hospital's referral store."""

    def query_one(self, selector: type[InboxTable]) -> InboxTable:
        """The inbox table."""

    def notify(
        self, message: str, *, severity: SeverityLevel = ..., timeout: float | None = ...
    ) -> None:
        """A toast."""

    def refresh_inbox(self, keep: str | None = None) -> object:
        """Read the inbox again, keeping the cursor on `keep`."""

    def after_action(self, plan: AfterAction) -> None:
        """Read the inbox again after an action; the cursor and a notice follow `plan`."""


TITLE_NAME_LIMIT = 40
"""Characters of each patient's name in a form's title."""
_VERBS = {ReferralAction.ACCEPT: "Accept", ReferralAction.DECLINE: "Decline"}
_ACTIONS = {
    "accept": ReferralAction.ACCEPT,
    "decline": ReferralAction.DECLINE,
    "ask": ReferralAction.ASK,
    "forward": ReferralAction.FORWARD,
    "complete": ReferralAction.COMPLETE,
}


def refusal(row: InboxRow, action: ReferralAction) -> str | None:
    """The state machine's message when `action` is not allowed on `row`, else None."""
    try:
        next_status(ReferralStatus(row.status), action)
    except (IllegalTransition, ValueError) as error:
        return error.message() if isinstance(error, IllegalTransition) else str(error)
    return None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def start_action(screen: InboxScreen, kind: str) -> None:
    """Open the form of `kind` for the selected referral, or for the marked ones (bulk)."""
    from clinic_tui.widgets.inbox_table import InboxTable

    action = _ACTIONS[kind]
    screen.thread_read()  # acting on a row: the thread the preview shows has been read
    table = screen.query_one(InboxTable)
    bulk = action in _VERBS and bool(table.marked)
    if bulk:
        rows = [row for row in screen.rows if row.task_id in table.marked]
    else:
        rows = [table.selected] if table.selected is not None else []
    if not rows:
        return
    allowed = [row for row in rows if refusal(row, action) is None]
    if not allowed:
        screen.notify(str(refusal(rows[0], action)), severity="error", timeout=6)
        return
    if not bulk:
        _open_form(screen, kind, allowed)
        return
    verb = tr(_VERBS[action])
    skipped = [row for row in rows if row not in allowed]
    question = (
        tr("{verb} {n} marked referrals? ({skipped} cannot be: {reason})").format(
            verb=verb, n=len(allowed), skipped=len(skipped), reason=refusal(skipped[0], action)
        )
        if skipped
        else tr("{verb} {n} marked referrals?").format(verb=verb, n=len(allowed))
    )

    def answered(yes: bool | None) -> None:
        if yes:
            _open_form(screen, kind, allowed)

    screen.app.push_screen(ConfirmScreen(question, verb, tr("Go back")), answered)


def _open_form(screen: InboxScreen, kind: str, rows: list[InboxRow]) -> None:
    store, clock = screen.store(), screen.clock
    forms: dict[str, Any] = {
        "accept": AcceptForm,
        "decline": DeclineForm,
        "ask": AskForm,
        "forward": ForwardForm,
        "complete": CompleteForm,
    }
    form = forms[kind](store, rows, clock)
    if kind == "forward":
        form.departments = [
            (d.id, d.name) for d in screen.departments if d.id != rows[0].department_id
        ]

    def done(notice: str | None) -> None:
        if notice is None:
            return
        from clinic_tui.widgets.inbox_table import InboxTable

        table = screen.query_one(InboxTable)
        table.marked.clear()
        keep, fallback = cursor_after(table, {row.task_id for row in rows})
        screen.notify(notice, timeout=8 if kind == "accept" else 4)
        # Once read again, an accepted referral that left this view says where it went.
        accepted = tuple((row.task_id, row.patient_name) for row in rows)
        screen.after_action(
            AfterAction(keep, fallback, notice, accepted if kind == "accept" else ())
        )

    screen.app.push_screen(form, done)


def cursor_after(table: InboxTable, acted_on: set[str]) -> tuple[str | None, str | None]:
    """Where the cursor goes once the inbox is read again after an action on `acted_on`:
    the row it is on if that stays in view, else the next row that was below it (the one
    above at the end of the list), so the expert goes on from where they were."""
    shown = table.rows_shown
    at = table.cursor_row
    keep = shown[at].task_id if 0 <= at < len(shown) else None
    below = [row.task_id for row in shown[at + 1 :] if row.task_id not in acted_on]
    above = [row.task_id for row in reversed(shown[: max(at, 0)]) if row.task_id not in acted_on]
    return keep, next(iter(below or above), None)


def where_accepted_went(names: list[str]) -> str:
    """The words for accepted referrals that left the view: which, where, and the keys."""
    who = names[0] if len(names) == 1 else tr("{n} referrals").format(n=len(names))
    return tr("{who} now under “s open”: s shows it, c completes it").format(who=who)


class TriageForm(ChartForm):
    """A triage action's form over one referral or several (bulk)."""

    TITLE = ""

    def __init__(self, store: Any, rows: list[InboxRow], clock: Any) -> None:
        # Names are data (ChartForm draws its title as Text); each cut short for one line.
        names = ", ".join(
            data_text(row.patient_name, limit=TITLE_NAME_LIMIT).plain for row in rows[:3]
        ) + ("…" if len(rows) > 3 else "")
        super().__init__(f"{tr(self.TITLE)} · {names}")
        self.store = store
        self.rows = rows
        self.clock = clock

    def now(self) -> datetime:
        """The clock's now (tests fix it)."""
        value: datetime = self.clock()
        return value

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A refusal from the store or the state machine says why, in the form.

        Textual also runs ChartForm's handler (each class's, base last) unless told not to:
        it closes the form on success and words other errors.
        """
        if event.worker.group == "form-save" and event.state is WorkerState.ERROR:
            error = event.worker.error
            message = getattr(error, "message", None)
            if callable(message):
                event.prevent_default()
                self._saving = False
                self.show_form_message(str(message()))


class AcceptForm(TriageForm):
    """Accept: an appointment date, or a teleconsultation."""

    TITLE = N_("Accept referral")
    FIELD_ORDER = ("appointment",)

    def fields(self) -> ComposeResult:
        """Appointment date and the teleconsultation box."""
        yield from field_row(
            tr("Appointment date"),
            Input(placeholder=tr("YYYY-MM-DD"), id="appointment", compact=True),
            "appointment",
        )
        yield TickBox(tr("Teleconsultation instead"), id="teleconsultation", compact=True)

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """A date, or the box ticked."""
        text = self.query_one("#appointment", Input).value
        tele = self.query_one("#teleconsultation", Checkbox).value
        day = _date(text) if text.strip() else None
        if not tele and day is None:
            message = "Not a date: use YYYY-MM-DD" if text.strip() else (
                N_("Give an appointment date or choose teleconsultation")
            )  # fmt: skip
            return {"appointment": message}, None
        store, rows, now = self.store, self.rows, self.now()

        def write() -> str:
            for row in rows:
                store.accept(row.task_id, now, None if tele else day, tele)
            return tr("Accepted: {n}").format(n=len(rows))

        return {}, write


class DeclineForm(TriageForm):
    """Decline: a coded reason and the words for the township."""

    TITLE = N_("Decline referral")
    FIELD_ORDER = ("decline-reason", "decline-text")

    def fields(self) -> ComposeResult:
        """Reason list and text."""
        zh = language() == "zh"
        # A first line that is no reason (not a blank Select: that one draws off its row),
        # so the doctor always chooses one.
        options = [(tr("Choose a reason"), "")]
        options += [(zh_ if zh else en, code) for code, (en, zh_) in DECLINE_REASONS.items()]
        reasons = LazySelect(
            options, value="", allow_blank=False, id="decline-reason", compact=True
        )
        yield from field_row(tr("Decline reason"), reasons, "decline-reason")
        yield from field_row(
            tr("Note to township"), Input(id="decline-text", compact=True), "decline-text"
        )

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """A reason must be chosen; the text is optional."""
        reason = self.query_one("#decline-reason", Select).value
        if not isinstance(reason, str) or not reason:
            return {"decline-reason": "Choose a reason"}, None
        text = self.query_one("#decline-text", Input).value
        store, rows, now = self.store, self.rows, self.now()

        def write() -> str:
            for row in rows:
                store.decline(row.task_id, reason, text, now)
            return tr("Declined: {n}").format(n=len(rows))

        return {}, write


class AskForm(TriageForm):
    """Ask the referring doctor: the thread so far, and the question."""

    TITLE = N_("Ask the referring doctor")
    FIELD_ORDER = ("question",)

    def fields(self) -> ComposeResult:
        """The thread, then the question."""
        lines = []
        for message in self.store.thread(self.rows[0].task_id):
            lines.append(
                f"{message.sent[5:16].replace('T', ' ')} {message.sender_name}: {message.text}"
            )
        # The messages are the other side's words: Text, never markup.
        yield Static(data_block("\n".join(lines) or tr("No messages yet")), id="thread")
        yield from field_row(
            tr("Question"),
            Input(id="question", placeholder=tr("Write the question"), compact=True),
            "question",
        )

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """The question must say something."""
        text = self.query_one("#question", Input).value.strip()
        if not text:
            return {"question": "Write the question"}, None
        store, row, now = self.store, self.rows[0], self.now()

        def write() -> str:
            store.ask(row.task_id, text, now)
            return tr("Asked: {name}").format(name=row.patient_name)

        return {}, write


class ForwardForm(TriageForm):
    """Forward to another department of the hospital."""

    TITLE = N_("Forward to another department")
    FIELD_ORDER = ("forward-department",)
    departments: list[tuple[str, str]] = []

    def fields(self) -> ComposeResult:
        """The departments to choose from."""
        options: list[tuple[str | Text, str]] = [(tr("Choose a department"), "")]
        options += [(name_text(name), ident) for ident, name in self.departments]
        yield from field_row(
            tr("To department"),
            LazySelect(options, value="", allow_blank=False, id="forward-department", compact=True),
            "forward-department",
        )

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """A department must be chosen."""
        chosen = self.query_one("#forward-department", Select).value
        if not isinstance(chosen, str) or not chosen:
            return {"forward-department": "Choose a department"}, None
        name = dict(self.departments).get(chosen, chosen)
        store, row, now = self.store, self.rows[0], self.now()

        def write() -> str:
            store.forward(row.task_id, chosen, None, now)
            return tr("Forwarded: {name} → {department}").format(
                name=row.patient_name, department=name
            )

        return {}, write


class CompleteForm(TriageForm):
    """Complete: the advice, and a downward referral's follow-up plan with its date."""

    TITLE = N_("Complete with advice")
    FIELD_ORDER = ("advice", "plan", "due")

    def fields(self) -> ComposeResult:
        """Advice, plan, due date (no plan: no follow-up)."""
        yield from field_row(tr("Advice"), Input(id="advice", compact=True), "advice")
        yield from field_row(tr("Follow-up plan"), Input(id="plan", compact=True), "plan")
        yield from field_row(
            tr("Follow-up due"), Input(placeholder=tr("YYYY-MM-DD"), id="due", compact=True), "due"
        )

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Advice is needed; a plan needs its date."""
        advice = self.query_one("#advice", Input).value.strip()
        plan = self.query_one("#plan", Input).value.strip()
        due_text = self.query_one("#due", Input).value
        errors: dict[str, str] = {}
        if not advice:
            errors["advice"] = N_("Write the advice")
        due = _date(due_text) if due_text.strip() else None
        if plan and due is None:
            errors["due"] = "Not a date: use YYYY-MM-DD" if due_text.strip() else (
                N_("Give the follow-up's date")
            )  # fmt: skip
        if errors:
            return errors, None
        follow_up = FollowUpPlan(due=due, plan=plan) if plan and due is not None else None
        store, row, now = self.store, self.rows[0], self.now()

        def write() -> str:
            store.complete(row.task_id, advice, now, follow_up)
            return tr("Completed: {name}").format(name=row.patient_name)

        return {}, write
