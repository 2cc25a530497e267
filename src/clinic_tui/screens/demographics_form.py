"""Correct a patient's phone, address and contact person (the registration's phone rules)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input

from clinic_tui.domain.chart_entry import DemographicsEntry, validate_demographics
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import tr
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.screens.chart_form import ChartForm, Write, field_row

FIELDS = ("phone", "address", "contact_name", "contact_phone")


class DemographicsForm(ChartForm):
    """Phone, address, contact person and their phone; an emptied field removes the value."""

    FIELD_ORDER = FIELDS

    def __init__(self, editor: ChartEditor, patient_id: str, current: DemographicsEntry) -> None:
        super().__init__(tr("Correct contact details"))
        self.editor = editor
        self.patient_id = patient_id
        self.current = current

    def fields(self) -> ComposeResult:
        """The four fields, filled with what is on record."""
        labels = (tr("Phone"), tr("Address"), tr("Contact person"), tr("Contact's phone"))
        for field_id, label in zip(FIELDS, labels, strict=True):
            value = getattr(self.current, field_id)
            # The record's text, shown for editing: controls made visible (a line each).
            widget = Input(
                clean_line(value), id=field_id, placeholder=tr("empty removes it"), compact=True
            )
            yield from field_row(label, widget, field_id)

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Same phone checks as registration; the write updates the Patient."""
        entry = DemographicsEntry(
            **{field_id: self.query_one(f"#{field_id}", Input).value for field_id in FIELDS}
        )
        errors = validate_demographics(entry)
        if errors:
            return errors, None
        editor, patient_id = self.editor, self.patient_id

        def write() -> str:
            if editor.correct_demographics(patient_id, entry):
                return tr("Contact details corrected")
            return tr("Nothing changed")

        return {}, write
