"""The 随访 form (follow-up visit): how, what was found, how it classifies, when next.

Values are checked as the chart's vitals form checks them (the same ranges). As they are
typed, the rules (followup.classify) classify the visit and propose the next date, shown
with the reason; the date stays editable. Saving records it all through the registry in
one transaction (it works offline). When the rules propose a referral, the opener offers
the existing refer form with the values in its summary (screens/followup_open.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Label, Select, Static

from clinic_tui.domain.vital_entry import body_mass_index, parse_vitals
from clinic_tui.followup.model import (
    Classification,
    Control,
    FollowUpValues,
    FollowUpVisit,
    Lifestyle,
    Programme,
    VisitMode,
)
from clinic_tui.i18n import N_, NC_, language, pgettext, tr
from clinic_tui.screens.chart_form import ChartForm, Write, field_row
from clinic_tui.screens.vitals_form import translated
from clinic_tui.widgets.data_text import data_block, data_text
from clinic_tui.widgets.followup_words import control_word, mode_word, programme_word
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.key_select import KeySelect
from clinic_tui.widgets.tick_box import TickBox

if TYPE_CHECKING:
    from clinic_tui.screens.followup_reads import VisitFormData


def _reason_word(reason: str) -> str:
    """A rule's reason in the session's language: the cited table carries its own Chinese
    (followup/control_rules.toml), like the slip's tables; the catalogue has the rest."""
    if language() != "zh":
        return reason
    from clinic_tui.followup.classify import reason_translations

    return reason_translations().get(reason) or tr(reason)


GLUCOSE_RANGE = (0.5, 50.0)
"""Accepted fasting glucose, mmol/L: a bound against typing slips (5.6 typed 56), not a
clinical threshold; meters read about 1.1-33.3 mmol/L. Unverified against a meter's label."""
LIFESTYLE_RANGES = {
    "cigarettes": (0, 100),
    "alcohol": (0, 50),
    "exercise-times": (0, 21),
    "exercise-minutes": (0, 600),
}
"""Bounds of the lifestyle numbers, against typing slips only."""

_VITALS = ("systolic", "diastolic", "heart_rate", "weight")
# The 规范 form's levels (轻/中/重, 良好/一般/差): their own context, as "moderate" is 中度 on
# an allergy's reaction elsewhere.
_LIFESTYLE = "lifestyle"
_CHOICES = {
    "salt": (NC_("lifestyle", "light"), NC_("lifestyle", "moderate"), NC_("lifestyle", "heavy")),
    "mood": (NC_("lifestyle", "good"), NC_("lifestyle", "fair"), NC_("lifestyle", "poor")),
    "advice": (NC_("lifestyle", "good"), NC_("lifestyle", "fair"), NC_("lifestyle", "poor")),
}
_ADHERENCE = (
    ("regular", NC_("lifestyle", "regular")),
    ("intermittent", NC_("lifestyle", "intermittent")),
    ("none", NC_("lifestyle", "not taking")),
)

Save = Callable[..., FollowUpVisit]
"""ChronicRegistry.record_visit (or a stand-in)."""
Classify = Callable[..., Classification]
"""followup.classify.classify (or a stand-in)."""


def _symptom_choices(programmes: tuple[Programme, ...]) -> list[tuple[str, str]]:
    """(code, label in the user's language), each symptom once across the programmes."""
    from clinic_tui.followup.classify import symptom_choices

    found: dict[str, str] = {}
    for programme in programmes:
        for code, english, chinese in symptom_choices(programme):
            found.setdefault(code, chinese if language() == "zh" else english)
    return list(found.items())


class FollowUpForm(ChartForm):
    """Record one 随访 for one patient's programmes."""

    FIELD_ORDER = ("mode", *_VITALS, "glucose", "next-due")

    DEFAULT_CSS = """
    FollowUpForm .symptoms {
        grid-size: 2;
        grid-gutter: 0 1;
        height: auto;
        margin-left: 2;
    }
    FollowUpForm .symptoms Checkbox {
        margin-left: 0;
    }
    FollowUpForm .bp-row Input {
        width: 8;
    }
    FollowUpForm .short {
        width: 10;
    }
    FollowUpForm .follow-up-line {
        margin-left: 2;
        color: $text-muted;
    }
    FollowUpForm #classification {
        margin: 0 0 1 0;
        padding: 0 1;
        border-left: thick $accent;
    }
    FollowUpForm .form-fields {
        max-height: 17;
    }
    """

    def __init__(
        self,
        data: VisitFormData,
        save: Save,
        clinician_id: str | None,
        now: datetime,
        classify: Classify | None = None,
    ) -> None:
        programmes = " · ".join(programme_word(p) for p in data.programmes)
        name = data_text(data.patient_name, limit=40).plain
        super().__init__(tr("Follow-up visit: {name}").format(name=name) + f" · {programmes}")
        self.data = data
        self.save = save
        self.clinician_id = clinician_id
        self.now = now
        from clinic_tui.followup.classify import classify as rules_classify

        self.classify: Classify = classify or rules_classify
        self.symptoms = _symptom_choices(data.programmes)
        self.classification: Classification | None = None
        """The rules' reading of the values as they stand (None until they can read them)."""
        self.referral_lines: list[str] = []
        """Set on a save the rules say to refer after: the refer form's first summary lines."""
        self.refer_reasons: tuple[str, ...] = ()
        self._date_typed = False
        self._typed = False
        """True once any value was typed or chosen (the classification shows from then)."""

    @property
    def diabetes(self) -> bool:
        """Fasting glucose is asked only of patients in the diabetes programme."""
        return Programme.DIABETES in self.data.programmes

    def fields(self) -> ComposeResult:
        """Mode, symptoms, measurements, lifestyle, medicines, classification, next date."""
        modes = [(mode_word(m), m.value) for m in VisitMode]
        yield from field_row(
            tr("Mode"),
            KeySelect(modes, id="mode", value=VisitMode.CLINIC.value, allow_blank=False,
                      compact=True),
            "mode",
        )  # fmt: skip
        yield Static(tr("Values as the patient reports them (phone)"), id="reported-line",
                     classes="follow-up-line")  # fmt: skip
        with Horizontal(classes="form-row bp-row"):
            yield Label(tr("BP"), classes="form-label")
            yield Input(id="systolic", placeholder="mmHg", compact=True)
            yield Label(" / ")
            yield Input(id="diastolic", placeholder="mmHg", compact=True)
        yield Static("", id="systolic-error", classes="field-error")
        yield Static("", id="diastolic-error", classes="field-error")
        yield from field_row(
            tr("Heart rate"),
            Input(id="heart_rate", placeholder=tr("/min"), compact=True),
            "heart_rate",
        )
        yield from field_row(
            tr("Weight"), Input(id="weight", placeholder="kg", compact=True), "weight"
        )
        yield Static("", id="bmi-line", classes="follow-up-line")
        if self.diabetes:
            yield from field_row(
                tr("Fasting glucose"), Input(id="glucose", placeholder="mmol/L", compact=True),
                "glucose",
            )  # fmt: skip
        # The 规范 form's symptom boxes, then the urgent signs apart under their own heading:
        # "Nausea, vomiting" (a box) and "Nausea and vomiting" (an urgent sign) side by side
        # read as one thing ticked twice, and only the second refers at once.
        from clinic_tui.followup.classify import is_urgent_symptom

        routine = [(c, label) for c, label in self.symptoms if not is_urgent_symptom(c)]
        urgent = [(c, label) for c, label in self.symptoms if is_urgent_symptom(c)]
        for heading, group in (
            (N_("Symptoms"), routine),
            (N_("Urgent signs: refer at once"), urgent),
        ):
            if not group:
                continue
            yield Label(tr(heading), classes="note-label")
            with Grid(classes="symptoms"):
                for code, label in group:
                    yield TickBox(label, id=f"symptom-{code}", compact=True)
        for field_id, label, unit in (
            ("cigarettes", N_("Cigarettes/day"), ""),
            ("alcohol", N_("Alcohol 两/day"), ""),
            ("exercise-times", N_("Exercise/week"), ""),
            ("exercise-minutes", N_("Minutes each"), N_("min")),
        ):
            yield from field_row(
                tr(label),
                Input(id=field_id, placeholder=tr(unit) if unit else "", compact=True),
                field_id,
            )
        labels = (("salt", N_("Salt")), ("mood", N_("Mood")), ("advice", N_("Follows advice")))
        for field_id, label in labels:
            options = [(pgettext(_LIFESTYLE, word), word) for word in _CHOICES[field_id]]
            yield from field_row(tr(label), KeySelect(options, id=field_id, prompt="—",
                                                      compact=True), field_id)  # fmt: skip
        adherence = [(pgettext(_LIFESTYLE, label), value) for value, label in _ADHERENCE]
        yield from field_row(
            tr("Takes medicines"),
            KeySelect(adherence, id="adherence", prompt="—", compact=True),
            "adherence",
        )
        yield from field_row(
            tr("Drug reaction"), Input(id="adverse", placeholder=tr("none"), compact=True),
            "adverse",
        )  # fmt: skip
        yield from field_row(
            tr("New complication"), Input(id="complication", placeholder=tr("none"),
                                          compact=True), "complication",
        )  # fmt: skip
        yield Label(tr("Current medications (from the chart)"), classes="note-label")
        medicines = "\n".join(f"  {m}" for m in self.data.medications)
        yield Static(data_block(medicines or "  " + tr("No current medications on the chart")),
                     id="medications")  # fmt: skip
        yield from field_row(
            tr("Next follow-up"), Input(id="next-due", placeholder=tr("YYYY-MM-DD"), compact=True),
            "next-due",
        )  # fmt: skip
        yield from field_row(tr("Remarks"), Input(id="note", compact=True), "note")

    def compose(self) -> ComposeResult:
        """The base form with the classification pinned above the fields: it stays in
        sight while the values that change it are typed."""
        with Vertical(classes="dialog chart-form"):
            yield Static(data_text(self.form_title), classes="dialog-title")
            yield Static("", id="form-error", classes="field-error")
            yield Static(tr("Type the values: the classification shows here"), id="classification")
            with VerticalScroll(classes="form-fields"):
                yield from self.fields()
        yield KeyFooter()

    def on_mount(self) -> None:
        """The base form's start, then the first reading (an empty visit classifies too)."""
        super().on_mount()
        self.query_one("#reported-line").display = False
        self._show_bmi(None)
        self.reclassify()
        self._initial = self.values()

    # ----- reading the fields ----------------------------------------------------------------

    def _text(self, field_id: str) -> str:
        found = self.query(f"#{field_id}")
        return found.first(Input).value.strip() if found else ""

    def _choice(self, field_id: str) -> str | None:
        value = self.query_one(f"#{field_id}", Select).value
        return value if isinstance(value, str) else None

    @property
    def mode(self) -> VisitMode:
        """Clinic, home or phone, as chosen."""
        return VisitMode(self._choice("mode") or VisitMode.CLINIC.value)

    def read_values(self) -> tuple[FollowUpValues, dict[str, str]]:
        """The form's values and, by field, what is wrong with any (English messages)."""
        entry, errors = parse_vitals({key: self._text(key) for key in _VITALS})
        if errors.get("systolic") == "Enter at least one vital sign":
            del errors["systolic"]  # a phone call may measure nothing; the rest still counts
        vitals = entry.values
        glucose: float | None = None
        if self.diabetes and self._text("glucose"):
            glucose = _number(self._text("glucose"))
            low, high = GLUCOSE_RANGE
            if glucose is None:
                errors["glucose"] = N_("Not a number")
            elif not low <= glucose <= high:
                errors["glucose"] = tr("Glucose must be between {low} and {high} mmol/L").format(
                    low=f"{low:g}", high=f"{high:g}"
                )
                glucose = None
        lifestyle_numbers: dict[str, float | None] = {}
        for field_id, (low, high) in LIFESTYLE_RANGES.items():
            text = self._text(field_id)
            value = _number(text) if text else None
            if text and value is None:
                errors[field_id] = N_("Not a number")
            elif value is not None and not low <= value <= high:
                errors[field_id] = tr("Must be between {low} and {high}").format(low=low, high=high)
                value = None
            lifestyle_numbers[field_id] = value
        symptoms = tuple(
            code for code, _ in self.symptoms if self.query_one(f"#symptom-{code}", Checkbox).value
        )
        lifestyle = Lifestyle(
            cigarettes_per_day=_whole(lifestyle_numbers["cigarettes"]),
            alcohol_per_day_liang=lifestyle_numbers["alcohol"],
            exercise_times_per_week=_whole(lifestyle_numbers["exercise-times"]),
            exercise_minutes=_whole(lifestyle_numbers["exercise-minutes"]),
            salt=self._choice("salt"),
            mood=self._choice("mood"),
            adherence_to_advice=self._choice("advice"),
        )
        values = FollowUpValues(
            systolic=_whole(vitals.get("systolic")),
            diastolic=_whole(vitals.get("diastolic")),
            heart_rate=_whole(vitals.get("heart_rate")),
            weight_kg=vitals.get("weight"),
            height_cm=self.data.height_cm,
            fasting_glucose=glucose,
            symptoms=symptoms,
            lifestyle=lifestyle,
            medication_adherence=self._choice("adherence"),
            adverse_reaction=self._text("adverse"),
            complication=self._text("complication"),
            reported=self.mode is VisitMode.PHONE,
        )
        return values, errors

    # ----- as values are typed -----------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        """Clear the field's message, then read the visit again."""
        super().on_input_changed(event)
        self._typed = True
        if event.input.id == "next-due":
            self._date_typed = bool(event.value.strip())
            return
        if event.input.id == "weight":
            _, errors = parse_vitals({"weight": event.value})
            self._show_bmi(None if errors else _number(event.value))
        self.reclassify()

    def on_select_changed(self, event: Select.Changed) -> None:
        """Phone marks the values reported; any choice may change the reading."""
        super().on_select_changed(event)
        before = self._initial.get(str(event.select.id), event.value)  # {} until mounted
        self._typed = self._typed or event.value != before
        if event.select.id == "mode":
            self.query_one("#reported-line").display = self.mode is VisitMode.PHONE
        self.reclassify()

    def on_checkbox_changed(self, _event: Checkbox.Changed) -> None:
        """A symptom ticked may be an urgent sign."""
        self._typed = True
        self.reclassify()

    def _show_bmi(self, weight: float | None) -> None:
        line = self.query_one("#bmi-line", Static)
        height = self.data.height_cm
        if height is None:
            line.update(tr("No height on the chart: BMI not worked out"))
        elif weight is None:
            line.update("")
        else:
            bmi = body_mass_index(weight, height)
            line.update(tr("BMI {bmi} (height {height} cm from the chart)").format(
                bmi=f"{bmi:.1f}", height=f"{height:g}"))  # fmt: skip
        line.display = bool(line.visual) and (height is None or weight is not None)

    def reclassify(self) -> None:
        """The rules' reading of the values as they stand, with the proposed next date."""
        values, _errors = self.read_values()
        try:
            found = self.classify(
                self.data.programmes,
                values,
                self.data.previous,
                self.now.date(),
                age=self.data.age_years,
            )
        except Exception as error:  # the rules must not take the form down; say why instead
            self.query_one("#classification", Static).update(data_text(str(error)))
            self.classification = None
            return
        self.classification = found
        if self._typed:
            # Not before: an empty form would open on "unsatisfactory: not recorded".
            self.query_one("#classification", Static).update(classification_text(found))
        if not self._date_typed:
            due = self.query_one("#next-due", Input)
            with due.prevent(Input.Changed):
                due.value = found.next_due.isoformat()

    # ----- saving ------------------------------------------------------------------------------

    def show_errors(self, errors: dict[str, str]) -> None:
        """Range messages name the field in the user's language."""
        super().show_errors({key: translated(message) for key, message in errors.items()})

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Check every field; the write records the visit in one transaction."""
        values, errors = self.read_values()
        due_text = self._text("next-due")
        next_due: date | None = None
        try:
            next_due = date.fromisoformat(due_text)
        except ValueError:
            errors["next-due"] = "Not a date: use YYYY-MM-DD"
        if next_due is not None and next_due < self.now.date():
            errors["next-due"] = N_("The next date cannot be before today")
        found = self.classification
        if errors or found is None or next_due is None:
            return errors, None
        classification = replace(found, next_due=next_due)
        data, save, mode, now = self.data, self.save, self.mode, self.now
        clinician, note = self.clinician_id, self._text("note")
        if classification.refer:
            from clinic_tui.followup.classify import referral_summary_lines

            self.referral_lines = referral_summary_lines(
                data.programmes, values, classification, data.previous, zh=language() == "zh"
            )
            self.refer_reasons = classification.refer_reasons
        else:
            self.referral_lines = []

        def write() -> str:
            from clinic_tui.screens.followup_reads import refused_in_words

            refused_in_words(
                lambda: save(
                    data.patient_id,
                    data.programmes,
                    mode,
                    now,
                    values,
                    classification,
                    clinician,
                    note=note,
                    height_for_bmi=data.height_cm,
                )
            )
            return (
                tr("Recorded: {control}, next {date}").format(
                    control=control_word(classification.control),
                    date=classification.next_due.isoformat(),
                )
                + " "
                + tr("(queued until the next sync)")
            )

        return {}, write


def classification_text(found: Classification) -> Text:
    """'Unsatisfactory: BP 168/102 at or above 140/90 · next 2026-12-21' and any referral."""
    marker = "" if found.control is Control.SATISFACTORY else "! "
    text = Text(f"{marker}{control_word(found.control)}", style="bold")
    if found.reasons:
        colon, semicolon = ("：", "；") if language() == "zh" else (": ", "; ")
        text.append(colon + semicolon.join(_reason_word(reason) for reason in found.reasons))
    text.append(" · " + tr("next {date}").format(date=found.next_due.isoformat()))
    if found.refer:
        why = "; ".join(_reason_word(reason) for reason in found.refer_reasons)
        words = (
            N_("!!! Urgent referral: {why}") if found.urgent else N_("!! Referral proposed: {why}")
        )
        text.append("\n" + tr(words).format(why=why), style="bold reverse")
    return text


def _number(text: str) -> float | None:
    cleaned = text.strip().replace(",", ".").replace("，", ".").replace("。", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _whole(value: float | None) -> int | None:
    return None if value is None else round(value)
