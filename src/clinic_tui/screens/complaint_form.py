"""Change the chief complaint of the current visit (one line; Enter saves)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input

from clinic_tui.domain.untrusted import clean_line
from clinic_tui.domain.validation import validate_chief_complaint
from clinic_tui.i18n import tr
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.screens.chart_form import ChartForm, Write, field_row


class ComplaintForm(ChartForm):
    """One field: the visit's chief complaint, checked as at registration."""

    FIELD_ORDER = ("complaint",)

    def __init__(self, editor: ChartEditor, encounter_id: str, complaint: str) -> None:
        super().__init__(tr("Chief complaint of this visit"))
        self.editor = editor
        self.encounter_id = encounter_id
        self.complaint = complaint

    def fields(self) -> ComposeResult:
        """The complaint, as registered."""
        yield from field_row(
            tr("Chief complaint"),
            Input(clean_line(self.complaint), id="complaint", compact=True),
            "complaint",
        )

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Same check as the walk-in form; the write replaces the Encounter's reason."""
        text = self.query_one("#complaint", Input).value
        error = validate_chief_complaint(text)
        if error is not None:
            return {"complaint": error}, None
        editor, encounter_id = self.editor, self.encounter_id

        def write() -> str:
            editor.set_chief_complaint(encounter_id, text)
            return f"{tr('Chief complaint changed')}: {text.strip()}"

        return {}, write
