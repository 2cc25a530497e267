"""Small forms of the follow-up programme: enrol (chart e), leave (chart E), filter the list (f).

Enrol and leave are chart forms (ctrl+s saves in a worker, Escape asks before losing
what was typed); each writes through the registry, so it works offline and syncs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Select, Static

from clinic_tui.followup.model import Enrolment, LeaveReason, Programme
from clinic_tui.i18n import N_, tr
from clinic_tui.screens.chart_form import ChartForm, Write, field_row
from clinic_tui.screens.followup_reads import ListFilter, refused_in_words
from clinic_tui.widgets.data_text import data_text, name_text
from clinic_tui.widgets.followup_words import leave_word, programme_word
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.key_select import KeySelect
from clinic_tui.widgets.lazy_select import LazySelect

Enrol = Callable[[str, Programme, str | None, date], Enrolment]
"""ChronicRegistry.enrol."""
Leave = Callable[..., None]
"""ChronicRegistry.leave."""


def _day(text: str, today: date) -> tuple[date | None, str | None]:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None, "Not a date: use YYYY-MM-DD"
    if day > today:
        return None, N_("The date cannot be in the future")
    return day, None


class EnrolForm(ChartForm):
    """Enrol one patient in a programme they are eligible for, with date and clinician."""

    FIELD_ORDER = ("programme", "since", "clinician")

    def __init__(
        self,
        enrol: Enrol,
        patient_id: str,
        patient_name: str,
        programmes: list[Programme],
        clinicians: dict[str, str],
        clinician_id: str | None,
        today: date,
    ) -> None:
        super().__init__(
            tr("Enrol {name} in a programme").format(name=data_text(patient_name, limit=50).plain)
        )
        self.enrol = enrol
        self.patient_id = patient_id
        self.programmes = programmes
        self.clinicians = clinicians
        self.clinician_id = clinician_id
        self.today = today

    def fields(self) -> ComposeResult:
        """Programme, since when, managing clinician."""
        options = [(programme_word(p), p.value) for p in self.programmes]
        yield from field_row(
            tr("Programme"),
            KeySelect(options, id="programme", value=options[0][1] if options else Select.BLANK,
                      prompt=tr("Choose a programme"), compact=True),
            "programme",
        )  # fmt: skip
        yield from field_row(
            tr("Since"),
            Input(self.today.isoformat(), id="since", placeholder=tr("YYYY-MM-DD"), compact=True),
            "since",
        )
        people = [(name_text(name), ident) for ident, name in self.clinicians.items()]
        chosen = self.clinician_id if self.clinician_id in self.clinicians else Select.BLANK
        yield from field_row(
            tr("Managed by"),
            LazySelect(people, id="clinician", value=chosen, prompt="—", compact=True),
            "clinician",
        )

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Check the choices; the write enrols."""
        errors: dict[str, str] = {}
        value = self.query_one("#programme", Select).value
        programme = Programme(value) if isinstance(value, str) else None
        if programme is None:
            errors["programme"] = "Choose a programme"
        since, problem = _day(self.query_one("#since", Input).value, self.today)
        if problem:
            errors["since"] = problem
        person = self.query_one("#clinician", Select).value
        clinician = person if isinstance(person, str) else self.clinician_id
        if errors or programme is None or since is None:
            return errors, None
        enrol, patient_id = self.enrol, self.patient_id

        def write() -> str:
            refused_in_words(lambda: enrol(patient_id, programme, clinician, since))
            return (
                tr("Enrolled in {programme}").format(programme=programme_word(programme))
                + " "
                + tr("(queued until the next sync)")
            )

        return {}, write


class LeaveForm(ChartForm):
    """A patient leaves a programme: moved, died, declined (or another reason, in words)."""

    FIELD_ORDER = ("enrolment", "reason", "on", "note")

    def __init__(
        self,
        leave: Leave,
        patient_name: str,
        enrolments: list[Enrolment],
        today: date,
    ) -> None:
        super().__init__(
            tr("Leave a programme: {name}").format(name=data_text(patient_name, limit=50).plain)
        )
        self.leave = leave
        self.enrolments = [e for e in enrolments if e.active]
        self.today = today

    def fields(self) -> ComposeResult:
        """Which programme, why, when, a note."""
        options = [
            (f"{programme_word(e.programme)} ({tr('Since')} {e.start.isoformat()})", e.id)
            for e in self.enrolments
        ]
        yield from field_row(
            tr("Programme"),
            KeySelect(options, id="enrolment", value=options[0][1] if options else Select.BLANK,
                      prompt=tr("Choose a programme"), compact=True),
            "enrolment",
        )  # fmt: skip
        reasons = [(leave_word(r), r.value) for r in LeaveReason]
        yield from field_row(
            tr("Why leaving"),
            KeySelect(reasons, id="reason", prompt=tr("Choose a reason"), compact=True),
            "reason",
        )
        yield from field_row(
            tr("On"),
            Input(self.today.isoformat(), id="on", placeholder=tr("YYYY-MM-DD"), compact=True),
            "on",
        )
        yield from field_row(tr("Remarks"), Input(id="note", compact=True), "note")

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Check the choices; the write ends the enrolment."""
        errors: dict[str, str] = {}
        chosen = self.query_one("#enrolment", Select).value
        enrolment = next((e for e in self.enrolments if e.id == chosen), None)
        if enrolment is None:
            errors["enrolment"] = "Choose a programme"
        value = self.query_one("#reason", Select).value
        reason = LeaveReason(value) if isinstance(value, str) else None
        if reason is None:
            errors["reason"] = "Choose a reason"
        on, problem = _day(self.query_one("#on", Input).value, self.today)
        if problem:
            errors["on"] = problem
        if errors or enrolment is None or reason is None or on is None:
            return errors, None
        leave, note = self.leave, self.query_one("#note", Input).value.strip()

        def write() -> str:
            refused_in_words(lambda: leave(enrolment.id, reason, on, note=note))
            return (
                tr("Left {programme}: {reason}").format(
                    programme=programme_word(enrolment.programme), reason=leave_word(reason)
                )
                + " "
                + tr("(queued until the next sync)")
            )

        return {}, write


class FilterForm(ModalScreen[ListFilter | None]):
    """Narrow the follow-up list: address text, programme, clinician (Enter / ctrl+s applies)."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("ctrl+s", "apply", tr("Apply"), priority=True),
        Binding("escape", "cancel", tr("Cancel")),
    ]

    DEFAULT_CSS = """
    FilterForm .chart-form {
        width: 70;
        height: auto;
    }
    """

    def __init__(self, current: ListFilter, clinicians: dict[str, str]) -> None:
        super().__init__()
        self.current = current
        self.clinicians = clinicians

    def compose(self) -> ComposeResult:
        """Three fields and the keys."""
        with Vertical(classes="dialog chart-form"):
            yield Static(tr("Filter the follow-up list"), classes="dialog-title")
            yield from field_row(
                tr("Village / address contains"),
                Input(self.current.address, id="address", compact=True),
                "address",
            )
            programmes = [(tr("any"), ""), *((programme_word(p), p.value) for p in Programme)]
            yield from field_row(
                tr("Programme"),
                KeySelect(programmes, id="programme", allow_blank=False, compact=True,
                          value=self.current.programme.value if self.current.programme else ""),
                "programme",
            )  # fmt: skip
            people = [(tr("any"), ""), *((n, i) for i, n in self.clinicians.items())]
            yield from field_row(
                tr("Clinician"),
                LazySelect([(name_text(label), value) for label, value in people], id="clinician",
                       allow_blank=False, compact=True, value=self.current.clinician_id or ""),
                "clinician",
            )  # fmt: skip
        yield KeyFooter()

    def on_mount(self) -> None:
        """The cursor in the address box; no field has a message."""
        for error in self.query(".field-error"):
            error.display = False
        self.query_one("#address", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the address box applies."""
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        """Close with the new filter."""
        programme = self.query_one("#programme", Select).value
        clinician = self.query_one("#clinician", Select).value
        self.dismiss(
            ListFilter(
                address=self.query_one("#address", Input).value.strip(),
                programme=Programme(programme) if isinstance(programme, str) and programme
                else None,
                clinician_id=clinician if isinstance(clinician, str) and clinician else None,
            )
        )  # fmt: skip

    def action_cancel(self) -> None:
        """Close; the list stays as it was."""
        self.dismiss(None)
