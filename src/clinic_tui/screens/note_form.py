"""Consultation note of this visit: SOAP sections, or one free text. ctrl+s saves.

Enter starts a new line inside a section (a note is prose), so saving is ctrl+s
only here; Tab moves between sections. Reopening the form edits the same note.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.widgets import Label, Select, TextArea

from clinic_tui.domain.chart_entry import NoteEntry, validate_note
from clinic_tui.domain.chart_resources import SOAP_SECTIONS
from clinic_tui.domain.untrusted import clean
from clinic_tui.i18n import language, tr
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.screens.chart_form import ChartForm, Write, field_row
from clinic_tui.widgets.lazy_select import LazySelect
from clinic_tui.widgets.text_box import TextBox


class NoteForm(ChartForm):
    """Write or rewrite the consultation note of the current visit."""

    FIELD_ORDER = ("note",)

    def __init__(
        self,
        editor: ChartEditor,
        patient_id: str,
        encounter_id: str,
        now: datetime,
        note: NoteEntry | None,
    ) -> None:
        super().__init__(tr("Consultation note"))
        self.editor = editor
        self.patient_id = patient_id
        self.encounter_id = encounter_id
        self.now = now
        self.note = note or NoteEntry()

    def fields(self) -> ComposeResult:
        """Format, then the four SOAP sections or the free text."""
        soap = self.note.is_soap or not self.note.free_text
        yield from field_row(
            tr("Format"),
            LazySelect([(tr("SOAP"), "soap"), (tr("free text"), "free")], id="format",
                   value="soap" if soap else "free", allow_blank=False, compact=True),
            "format",
        )  # fmt: skip
        for key, _code, en, zh in SOAP_SECTIONS:
            yield Label(zh if language() == "zh" else f"{en} ({zh})", classes="soap note-label")
            # The record's text, shown for editing: controls made visible.
            yield TextBox(
                clean(getattr(self.note, key)), id=key, classes="soap note-text", compact=True
            )
        yield Label(tr("Note"), classes="free note-label")
        yield TextBox(
            clean(self.note.free_text), id="free_text", classes="free note-text", compact=True
        )
        yield Label("", id="note-error", classes="field-error")

    def on_mount(self) -> None:
        """Show the chosen format's boxes."""
        self._show_format(str(self.query_one("#format", Select).value))

    def focus_first(self) -> None:
        """The cursor goes into the first box of the note, not the format."""
        kind = self.query_one("#format", Select).value
        self.focus_in_place(self.query_one("#subjective" if kind == "soap" else "#free_text"))

    def on_select_changed(self, event: Select.Changed) -> None:
        """Switch between SOAP sections and free text (what was typed in either is kept)."""
        if event.select.id == "format":
            self._show_format(str(event.value))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Typing clears the 'empty note' message."""
        self.clear_error("note")

    def _show_format(self, kind: str) -> None:
        for widget in self.query(".soap"):
            widget.display = kind == "soap"
        for widget in self.query(".free"):
            widget.display = kind == "free"
        first = "#subjective" if kind == "soap" else "#free_text"
        self.focus_in_place(self.query_one(first, TextArea))

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Check the note is not empty; the write stores it on the visit."""
        if self.query_one("#format", Select).value == "soap":
            texts = {key: self.query_one(f"#{key}", TextArea).text for key, *_ in SOAP_SECTIONS}
            note = NoteEntry(**texts)
            if not note.is_soap:
                note = NoteEntry()
        else:
            note = NoteEntry(free_text=self.query_one("#free_text", TextArea).text)
        errors = validate_note(note)
        if errors:
            return errors, None
        editor, patient_id, encounter_id, now = (
            self.editor, self.patient_id, self.encounter_id, self.now,
        )  # fmt: skip

        def write() -> str:
            editor.save_note(patient_id, encounter_id, note, now)
            return tr("Note saved")

        return {}, write
