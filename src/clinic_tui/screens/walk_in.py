"""Walk-in registration: a new patient's details (validated inline), chief complaint, priority.

For an existing patient (found first with the patient search) only the visit
fields show. Nothing is saved until every field is right; each wrong field says
what is wrong beneath it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Select, Static

from clinic_tui.domain import national_id
from clinic_tui.domain.ages import format_age
from clinic_tui.domain.models import Gender, PatientSummary, Priority
from clinic_tui.domain.registration import NewPatient
from clinic_tui.domain.validation import (
    birth_date_from_identity,
    gender_from_identity,
    normalise_phone,
    parse_birth_date,
    validate_chief_complaint,
    validate_new_patient,
)
from clinic_tui.i18n import add_translations, tr

add_translations(
    {
        "Walk-in registration: new patient": "现场挂号：新患者",
        "Walk-in · Esc: new patient": "现场挂号 · Esc：新患者",
        "Walk-in registration": "现场挂号",
        "Register": "登记",
        "Enter the patient's name": "请输入患者姓名",
        "A name has at most 50 characters": "姓名最多50个字符",
        "Choose the patient's sex": "请选择性别",
        "Enter the birth date (YYYY-MM-DD)": "请输入出生日期（年-月-日）",
        "Not a date: use YYYY-MM-DD": "日期无效，格式为 年-月-日",
        "The birth date is in the future": "出生日期不能晚于今天",
        "The birth date is more than 130 years ago": "出生日期早于130年前",
        "An identity number has 18 characters": "身份证号应为18位",
        "An identity number is 17 digits then a digit or X": "身份证号为17位数字加1位数字或X",
        "The birth date inside the identity number is not a real date": "身份证号中的出生日期无效",
        "The check digit does not match; please re-read the card": "校验位不符，请重新核对证件",
        "The birth date in the identity number differs from the form": (
            "身份证号中的出生日期与所填不符"
        ),
        "The sex in the identity number differs from the form": "身份证号中的性别与所填不符",
        "A phone number has digits only": "电话号码只能包含数字",
        "A mobile number has 11 digits": "手机号码应为11位",
        "A phone number has 7 to 12 digits": "电话号码应为7至12位",
        "Enter the chief complaint": "请输入主诉",
        "Keep the chief complaint under 200 characters": "主诉不超过200个字符",
        "optional": "选填",
        "Already in today's queue as": "今日已在队列中：",
        "Fix the fields marked below": "请修改下面标出的内容",
    }
)

FIELDS = ("name", "sex", "birth_date", "identifier", "phone", "complaint", "priority")
"""Form fields, in the order Enter moves through them."""


@dataclass(frozen=True)
class WalkInRequest:
    """What the form hands back: who, why and how urgent."""

    patient: str | NewPatient
    """An existing patient's id, or the new patient to create."""
    chief_complaint: str
    priority: Priority


def _row(label: str, field: Input | Select[str], field_id: str) -> ComposeResult:
    with Vertical(classes="form-field"):
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label")
            yield field
        yield Static("", id=f"{field_id}-error", classes="field-error")


class WalkInScreen(ModalScreen[WalkInRequest | None]):
    """The walk-in form; `patient` None means a new patient is registered too."""

    BINDINGS = [
        Binding("ctrl+s", "save", tr("Register")),
        Binding("escape", "cancel", tr("Cancel")),
    ]

    def __init__(
        self, patient: PatientSummary | None, today: date, note: str | None = None
    ) -> None:
        super().__init__()
        self.patient = patient
        self.today = today
        self.note = note
        """A warning shown under the title, e.g. that the patient is already in the queue."""

    def compose(self) -> ComposeResult:
        """Patient fields (new patients only), then the visit fields."""
        with Vertical(id="walk-in-dialog", classes="dialog"):
            if self.patient is None:
                title = tr("Walk-in registration: new patient")
            else:
                age = format_age(self.patient.birth_date, self.today)
                title = f"{tr('Walk-in registration')}: {self.patient.name} {age}"
            yield Static(title, classes="dialog-title")
            if self.note:
                yield Static(self.note, id="walk-in-note")
            yield Static("", id="form-error", classes="field-error")
            with VerticalScroll(id="walk-in-fields"):
                if self.patient is None:
                    yield from _row(tr("Name"), Input(id="name", compact=True), "name")
                    sexes = [(tr(g.value.capitalize()), g.value) for g in Gender]
                    yield from _row(
                        tr("Sex"), Select(sexes, id="sex", compact=True, prompt="—"), "sex"
                    )
                    yield from _row(
                        tr("Birth date"),
                        Input(id="birth_date", placeholder="YYYY-MM-DD", compact=True),
                        "birth_date",
                    )
                    yield from _row(
                        tr("Identity number"),
                        Input(id="identifier", placeholder=tr("optional"), compact=True),
                        "identifier",
                    )
                    yield from _row(
                        tr("Phone"),
                        Input(id="phone", placeholder=tr("optional"), compact=True),
                        "phone",
                    )
                yield from _row(
                    tr("Chief complaint"), Input(id="complaint", compact=True), "complaint"
                )
                priorities = [(f"{p.marker} {tr(p.name.capitalize())}", p.value) for p in Priority]
                yield from _row(
                    tr("Priority"),
                    Select(
                        priorities,
                        id="priority",
                        compact=True,
                        allow_blank=False,
                        value=Priority.ROUTINE.value,
                    ),
                    "priority",
                )
        yield Footer()

    def on_mount(self) -> None:
        """Errors show only once there is one; the first field takes the cursor."""
        for error in self.query(".field-error"):
            error.display = False
        self.query_one("#name" if self.patient is None else "#complaint", Input).focus()

    def action_cancel(self) -> None:
        """Close without registering anyone."""
        self.dismiss(None)

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

    def _show_errors(self, errors: dict[str, str]) -> None:
        for field_id in FIELDS:
            found = self.query(f"#{field_id}-error")
            if not found:
                continue
            widget = found.first(Static)
            message = errors.get(field_id)
            widget.update(f"  ↳ {tr(message)}" if message else "")
            widget.display = message is not None
        banner = self.query_one("#form-error", Static)
        banner.update(tr("Fix the fields marked below"))
        banner.display = bool(errors)
        first = next((field_id for field_id in FIELDS if field_id in errors), None)
        if first is not None:
            self.query_one(f"#{first}").focus()

    def action_save(self) -> None:
        """Validate everything; register only when every field is right."""
        errors: dict[str, str] = {}
        patient: str | NewPatient
        if self.patient is None:
            sex = self.query_one("#sex", Select).value
            sex_text = str(sex) if sex is not Select.NULL else ""
            errors = validate_new_patient(
                self._value("name"),
                sex_text,
                self._value("birth_date"),
                self._value("identifier"),
                self._value("phone"),
                self.today,
            )
        complaint_error = validate_chief_complaint(self._value("complaint"))
        if complaint_error is not None:
            errors["complaint"] = complaint_error
        self._show_errors(errors)
        if errors:
            return
        if self.patient is None:
            birth = parse_birth_date(self._value("birth_date"))
            assert birth is not None  # validated above
            patient = NewPatient(
                name=self._value("name").strip(),
                gender=Gender(sex_text),
                birth_date=birth,
                identifier=self._value("identifier").strip().upper() or None,
                phone=normalise_phone(self._value("phone")) or None,
            )
        else:
            patient = self.patient.id
        priority = Priority(str(self.query_one("#priority", Select).value))
        self.dismiss(WalkInRequest(patient, self._value("complaint").strip(), priority))
