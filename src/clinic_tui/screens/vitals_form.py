"""Vital-signs form: blood pressure, heart and breathing rates, temperature, SpO2, weight, height.

Impossible values (a slip such as 1700 mmHg) are refused with the accepted range
and nothing is saved; BMI is derived from weight and height, never typed.
"""

from __future__ import annotations

import re
from datetime import datetime

from textual.app import ComposeResult
from textual.widgets import Input, Static

from clinic_tui.domain.vital_entry import VITAL_FIELDS, parse_vitals
from clinic_tui.i18n import tr
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.screens.chart_form import ChartForm, Write, field_row


def translated(message: str) -> str:
    """The Chinese of a parse_vitals message (its label and numbers kept)."""
    for field in VITAL_FIELDS:
        label = field.label
        if message == f"{label}: not a number":
            return tr("{label}: not a number").format(label=tr(label))
        if message.startswith(f"{label} above "):
            limit, age = re.findall(r"[\d.]+", message)[:2]
            return tr("{label} above {limit} {unit} is not possible at age {age}").format(
                label=tr(label), limit=limit, unit=tr(field.unit), age=age
            )
        if message.startswith(f"{label} must be between"):
            return tr("{label} must be between {low} and {high} {unit}").format(
                label=tr(label), low=f"{field.low:g}", high=f"{field.high:g}", unit=tr(field.unit)
            )
    return tr(message)


class VitalsForm(ChartForm):
    """Record the vital signs taken now, linked to this visit when there is one."""

    FIELD_ORDER = tuple(field.key for field in VITAL_FIELDS)

    def __init__(
        self,
        editor: ChartEditor,
        patient_id: str,
        encounter_id: str | None,
        now: datetime,
        height_for_bmi: float | None,
        age_years: int | None = None,
    ) -> None:
        super().__init__(tr("Record vital signs"))
        self.editor = editor
        self.patient_id = patient_id
        self.encounter_id = encounter_id
        self.now = now
        self.height_for_bmi = height_for_bmi
        self.age_years = age_years

    def fields(self) -> ComposeResult:
        """One short input per measurement, its unit as the placeholder."""
        yield Static(tr("Fill in what was measured; BMI is worked out from weight and height"))
        for field in VITAL_FIELDS:
            yield from field_row(
                tr(field.label), Input(id=field.key, placeholder=tr(field.unit), compact=True),
                field.key,
            )  # fmt: skip

    def show_errors(self, errors: dict[str, str]) -> None:
        """Range messages name the field in the user's language."""
        super().show_errors({key: translated(message) for key, message in errors.items()})

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Parse and check every field; the write records all the measurements or none."""
        texts = {field.key: self.query_one(f"#{field.key}", Input).value for field in VITAL_FIELDS}
        entry, errors = parse_vitals(texts, self.age_years)
        if errors:
            return errors, None
        editor, patient_id, now = self.editor, self.patient_id, self.now
        encounter_id, height = self.encounter_id, self.height_for_bmi

        def write() -> str:
            editor.record_vitals(patient_id, entry, now, encounter_id, height)
            return tr("Vital signs recorded")

        return {}, write
