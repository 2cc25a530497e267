"""Walk-in registration: a new patient's details (validated inline), chief complaint, priority.

For an existing patient (found first with the patient search) only the visit
fields show. Nothing is saved until every field is right; each wrong field says
what is wrong beneath it. A new patient who matches one on file (identity number,
or name with phone or birth date) is never created silently: the desk chooses the
patient on file or records why this is someone else. Esc on a form with anything
typed asks before throwing it away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from clinic_tui.domain import national_id
from clinic_tui.domain.models import Gender, PatientSummary, Priority
from clinic_tui.domain.registration import (
    Contact,
    DuplicateDecision,
    NewPatient,
    PossibleDuplicate,
    Relationship,
)
from clinic_tui.domain.validation import (
    birth_date_from_identity,
    gender_from_identity,
    is_mobile,
    normalise_phone,
    parse_birth_date,
    validate_chief_complaint,
    validate_more_details,
    validate_new_patient,
)
from clinic_tui.i18n import N_, tr
from clinic_tui.screens.fresh_screen import StyledOnce
from clinic_tui.screens.patient_search import Finder, PatientSearchScreen
from clinic_tui.screens.walk_in_dialogs import ConfirmScreen, DuplicateChoice, DuplicateScreen
from clinic_tui.widgets.data_text import data_block, data_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.key_select import KeySelect
from clinic_tui.widgets.units import age_text

DETAILS = (
    "address",
    "insurance_number",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
    "contact_name",
    "contact_phone",
)
"""The optional details, after the visit fields: the essentials are typed first."""
FIELDS = ("name", "sex", "birth_date", "identifier", "phone", "complaint", "priority", *DETAILS)
"""Form fields, in the order Tab moves through them (Enter on the complaint registers)."""
TITLE_NAME_LIMIT = 60
"""Characters of the patient's name in the form's title (one line)."""
PHONE_HINT = N_("mobile or landline with area code")
GUARDIAN_FIELDS = ("guardian_name", "guardian_relation", "guardian_phone")
ADULT_AGE = 18
"""The guardian's rows show for a patient younger than this."""


class WalkInSearchScreen(PatientSearchScreen):
    """The walk-in's search: Enter takes a patient on file, Ctrl+N a new one, Esc neither."""

    BINDINGS = [
        *PatientSearchScreen.BINDINGS,
        Binding("ctrl+n", "new_patient", tr("New patient")),
    ]

    def __init__(self, search: Finder) -> None:
        super().__init__(search, title=tr("Walk-in · Ctrl+N: new patient"))
        self.new_patient = False
        """True when the desk asked for a new patient (the dialog then returns None)."""

    def action_new_patient(self) -> None:
        """Close for a new patient's form, filled with what was typed."""
        self.new_patient = True
        self.action_cancel()


@dataclass(frozen=True)
class WalkInRequest:
    """What the form hands back: who, why and how urgent."""

    patient: str | NewPatient
    """An existing patient's id, or the new patient to create."""
    chief_complaint: str
    priority: Priority
    again: bool = False
    """The desk confirmed a second registration for someone already in today's queue."""


DuplicateFinder = Callable[[NewPatient], list[PossibleDuplicate]]
"""Looks up the patients on file a new one matches (run in a worker thread)."""


def _row(label: str, field: Input | Select[str], field_id: str) -> ComposeResult:
    with Vertical(classes="form-field"):
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label")
            yield field
        yield Static("", id=f"{field_id}-error", classes="field-error")


class MoreDetails(Vertical):
    """The optional details of a new patient, mounted just after the form's first paint."""

    DEFAULT_CSS = "MoreDetails { height: auto; }"

    def compose(self) -> ComposeResult:
        """A heading, then address, insurance, guardian and emergency contact rows."""
        yield Static(tr("More (optional)"), classes="form-section")
        for field_id, label in (
            ("address", "Address"),
            ("insurance_number", N_("Insurance number")),
            ("guardian_name", N_("Guardian")),
        ):
            yield from _row(tr(label), Input(id=field_id, compact=True), field_id)
        relations = [(tr(r.label), r.value) for r in Relationship]
        yield from _row(
            tr("Guardian is the"),
            KeySelect(relations, id="guardian_relation", compact=True, prompt="—"),
            "guardian_relation",
        )
        for field_id, label in (
            ("guardian_phone", N_("Guardian's phone")),
            ("contact_name", N_("Emergency contact")),
            ("contact_phone", "Contact's phone"),
        ):
            yield from _row(tr(label), Input(id=field_id, compact=True), field_id)

    def on_mount(self) -> None:
        """Errors show only once there is one."""
        for error in self.query(".field-error"):
            error.display = False


class WalkInScreen(StyledOnce, ModalScreen[WalkInRequest | None]):
    """The walk-in form; `patient` None means a new patient is registered too."""

    BINDINGS = [
        # Named in full: elsewhere ctrl+s syncs, here it registers (the footer says which).
        Binding("ctrl+s", "save", tr("Register patient")),
        Binding("escape", "cancel", tr("Cancel")),
    ]

    def __init__(
        self,
        patient: PatientSummary | None,
        today: date,
        note: str | None = None,
        *,
        prefill: dict[str, str] | None = None,
        find_duplicates: DuplicateFinder | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.patient = patient
        self.today = today
        self.note = note
        """A warning shown under the title, e.g. that the patient is already in the queue."""
        self.prefill = dict(prefill or {})
        """Field -> text the form opens with (what was typed in the search)."""
        self.find_duplicates = find_duplicates
        self.clock = clock or (lambda: datetime.now().astimezone())
        self._opened_with: dict[str, object] = {}
        self.holds_keys = False
        """True while the optional details are being mounted (see OrderedKeysApp)."""

    def compose(self) -> ComposeResult:
        """Patient fields (new patients only), then the visit fields."""
        with Vertical(id="walk-in-dialog", classes="dialog"):
            if self.patient is None:
                title = tr("Walk-in registration: new patient")
            else:
                age = age_text(self.patient.birth_date, self.today)
                name = data_text(self.patient.name, limit=TITLE_NAME_LIMIT).plain
                title = f"{tr('Walk-in registration')}: {name} {age}"
            # The patient's name is data: Text, never markup.
            yield Static(data_text(title), classes="dialog-title")
            if self.note:
                yield Static(data_text(self.note), id="walk-in-note")
            yield Static("", id="form-error", classes="field-error")
            # Not a focus stop (see ChartForm): the fields scroll into view as they are reached.
            with VerticalScroll(id="walk-in-fields", can_focus=False):
                if self.patient is None:
                    # The search's text fills the name: the cursor goes after it, nothing selected
                    # for the next key to wipe.
                    name_field = Input(id="name", compact=True, select_on_focus=False)
                    yield from _row(tr("Name"), name_field, "name")
                    sexes = [(tr(g.value.capitalize()), g.value) for g in Gender]
                    yield from _row(
                        tr("Sex"), KeySelect(sexes, id="sex", compact=True, prompt="—"), "sex"
                    )
                    yield from _row(
                        tr("Birth date"),
                        Input(id="birth_date", placeholder=tr("YYYY-MM-DD"), compact=True),
                        "birth_date",
                    )
                    yield from _row(
                        tr("Identity number"),
                        Input(id="identifier", placeholder=tr("optional"), compact=True),
                        "identifier",
                    )
                    yield from _row(
                        tr("Phone"),
                        Input(
                            id="phone",
                            placeholder=f"{tr('optional')}: {tr(PHONE_HINT)}",
                            compact=True,
                        ),
                        "phone",
                    )
                yield from _row(
                    tr("Chief complaint"), Input(id="complaint", compact=True), "complaint"
                )
                priorities = [(f"{p.marker} {tr(p.name.capitalize())}", p.value) for p in Priority]
                yield from _row(
                    tr("Priority"),
                    KeySelect(
                        priorities,
                        id="priority",
                        compact=True,
                        allow_blank=False,
                        value=Priority.ROUTINE.value,
                    ),
                    "priority",
                )
        yield KeyFooter()

    def on_mount(self) -> None:
        """Errors show only once there is one; the first empty field takes the cursor."""
        for error in self.query(".field-error"):
            error.display = False
        for field_id, value in self.prefill.items():
            found = self.query(f"#{field_id}")
            if found and isinstance(found.first(), Input):
                found.first(Input).value = value
        self._opened_with = self._snapshot()
        if self.patient is None:
            # The optional details (seven more widgets) come after the first paint, so the
            # essentials show at once; keys typed meanwhile wait their turn (OrderedKeysApp).
            # Keys typed meanwhile (a card reader's burst) wait until the details are there.
            self.holds_keys = True
            self.call_after_refresh(self._mount_details)
        # A new patient starts on the name, the first thing the desk types (or corrects, when
        # the search's text filled it); a patient on file starts on the complaint.
        self.query_one("#name" if self.patient is None else "#complaint").focus()

    async def _mount_details(self) -> None:
        try:
            await self.query_one("#walk-in-fields").mount(MoreDetails(id="details"))
            self._show_guardian()
            self._opened_with.update(
                {key: value for key, value in self._snapshot().items() if key in DETAILS}
            )
        finally:
            self.holds_keys = False
            release = getattr(self.app, "keys_may_go_on", None)
            if release is not None:
                await release()

    def _details_shown(self) -> bool:
        return bool(self.query("#details"))

    def _snapshot(self) -> dict[str, object]:
        """Every field's value, to tell whether anything was typed since the form opened."""
        values: dict[str, object] = {}
        for widget in self.query("Input, Select"):
            if widget.id is not None:
                values[widget.id] = getattr(widget, "value", None)
        return values

    def action_cancel(self) -> None:
        """Close without registering anyone; ask first when something was typed."""
        if self._snapshot() == self._opened_with:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        question = tr("Discard this registration? What was typed is lost.")
        self.app.push_screen(ConfirmScreen(question, tr("Discard"), tr("Keep editing")), answered)

    def _show_guardian(self) -> None:
        """The guardian's rows, for a child only (by the birth date typed so far)."""
        if self.patient is not None or not self._details_shown():
            return
        birth = parse_birth_date(self._value("birth_date"))
        child = birth is not None and _years(birth, self.today) < ADULT_AGE
        for field_id in GUARDIAN_FIELDS:
            self._row_of(field_id).display = child

    def _row_of(self, field_id: str) -> Widget:
        """The field's whole row: label, field and error line (see _row)."""
        row = self.query_one(f"#{field_id}").parent
        assert row is not None
        assert isinstance(row.parent, Widget)
        return row.parent

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the chief complaint it registers."""
        event.stop()
        if event.input.id == "complaint":
            self.action_save()
        else:
            self.focus_next()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Editing a field clears its message; a valid identity number fills birth date and sex."""
        errors = self.query(f"#{event.input.id}-error")
        if errors:
            errors.first().display = False
        if event.input.id == "birth_date":
            self._show_guardian()
        if event.input.id != "identifier":
            return
        number = event.value.strip().upper()
        if national_id.validate(number) is not None:
            return
        birth = self.query_one("#birth_date", Input)
        if not birth.value.strip():
            birth.value = birth_date_from_identity(number).isoformat()
        sex: Select[str] = self.query_one("#sex", Select)
        if sex.value is Select.NULL:
            sex.value = gender_from_identity(number).value

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def _select(self, field_id: str) -> str:
        value = self.query_one(f"#{field_id}", Select).value
        return str(value) if value is not Select.NULL else ""

    def _show_errors(self, errors: dict[str, str]) -> None:
        for field_id in FIELDS:
            found = self.query(f"#{field_id}-error")
            if not found:
                continue
            widget = found.first(Static)
            message = errors.get(field_id)
            widget.update(data_text(f"  ↳ {tr(message)}" if message else ""))
            widget.display = message is not None
        banner = self.query_one("#form-error", Static)
        banner.update(tr("Fix the fields marked below"))
        banner.display = bool(errors)
        first = next((field_id for field_id in FIELDS if field_id in errors), None)
        if first is not None:
            self.query_one(f"#{first}").focus()

    def action_save(self) -> None:
        """Validate everything; register only when every field is right and nobody matches."""
        errors: dict[str, str] = {}
        if self.patient is None:
            errors = validate_new_patient(
                self._value("name"),
                self._select("sex"),
                self._value("birth_date"),
                self._value("identifier"),
                self._value("phone"),
                self.today,
            )
            errors.update(validate_more_details({key: self._detail(key) for key in DETAILS}))
        complaint_error = validate_chief_complaint(self._value("complaint"))
        if complaint_error is not None:
            errors["complaint"] = complaint_error
        self._show_errors(errors)
        if errors:
            return
        priority = Priority(str(self.query_one("#priority", Select).value))
        complaint = self._value("complaint").strip()
        if self.patient is not None:
            self.dismiss(WalkInRequest(self.patient.id, complaint, priority))
            return
        request = WalkInRequest(self._new_patient(), complaint, priority)
        if self.find_duplicates is None:
            self.dismiss(request)
            return
        banner = self.query_one("#form-error", Static)
        banner.update(tr("Checking for this patient on file…"))
        banner.display = True
        self._check_on_file(request)

    def _detail(self, field_id: str) -> str:
        if not self._details_shown():
            return ""
        if field_id in GUARDIAN_FIELDS and not self._row_of(field_id).display:
            return ""  # typed while the patient looked a child, then the birth date changed
        if field_id == "guardian_relation":
            return self._select(field_id)
        return self._value(field_id)

    def _new_patient(self) -> NewPatient:
        birth = parse_birth_date(self._value("birth_date"))
        assert birth is not None  # validated before
        phone = normalise_phone(self._value("phone")) or None
        return NewPatient(
            name=self._value("name").strip(),
            gender=Gender(self._select("sex")),
            birth_date=birth,
            identifier=self._value("identifier").strip().upper() or None,
            phone=phone,
            phone_is_mobile=phone is None or is_mobile(phone),
            address=self._detail("address").strip() or None,
            insurance_number=self._detail("insurance_number").strip().upper() or None,
            guardian=self._contact("guardian", self._detail("guardian_relation")),
            emergency_contact=self._contact("contact", ""),
        )

    def _contact(self, who: str, relation: str) -> Contact | None:
        name = self._detail(f"{who}_name").strip()
        if not name:
            return None
        phone = normalise_phone(self._detail(f"{who}_phone")) or None
        return Contact(
            name=name,
            relationship=Relationship(relation) if relation else Relationship.OTHER,
            phone=phone,
            phone_is_mobile=phone is None or is_mobile(phone),
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="walk-in-on-file")
    def _check_on_file(self, request: WalkInRequest) -> None:
        """Look for the patient on file in a thread; the answer comes back to the form."""
        assert isinstance(request.patient, NewPatient)
        assert self.find_duplicates is not None
        try:
            matches = self.find_duplicates(request.patient)
        except Exception as error:  # said on the form; nothing is registered
            message = tr("Could not check for this patient on file: {error}").format(error=error)
            self.app.call_from_thread(self._say, message)
            return
        self.app.call_from_thread(self._checked, request, matches)

    def _say(self, message: str) -> None:
        banner = self.query_one("#form-error", Static)
        banner.update(data_block(message))
        banner.display = True

    def _checked(self, request: WalkInRequest, matches: list[PossibleDuplicate]) -> None:
        self.query_one("#form-error", Static).display = False
        if not matches:
            self.dismiss(request)
            return

        def decided(choice: DuplicateChoice | None) -> None:
            if choice is None:
                self.query_one("#name").focus()
                return
            if choice.patient_id is not None:
                self.dismiss(replace(request, patient=choice.patient_id))
                return
            assert isinstance(request.patient, NewPatient)
            assert choice.reason is not None  # the dialog never closes without one
            decision = DuplicateDecision(
                matched=tuple((m.patient.id, m.patient.name) for m in matches),
                on=matches[0].on,
                reason=choice.reason,
                decided=self.clock(),
            )
            self.dismiss(
                replace(request, patient=replace(request.patient, duplicate_decision=decision))
            )

        self.app.push_screen(DuplicateScreen(matches, self.today), decided)


def _years(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
