"""'This visit': the chief complaint, this visit's diagnoses and the start of its note.

Shown on the chart only while the patient has an open visit today; a `*`
marks what is not synced yet, as everywhere else on the chart.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widgets import Static

from clinic_tui.domain.chart_entry import CurrentVisit, NoteEntry
from clinic_tui.domain.models import QueueStatus
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import N_, tr
from clinic_tui.widgets.data_text import data_text

_STATUS = {
    QueueStatus.WAITING: N_("Waiting"),
    QueueStatus.IN_CONSULTATION: N_("In consultation"),
    QueueStatus.DONE: N_("Done"),
    QueueStatus.LEFT: N_("Left"),
}
NOTE_PREVIEW = 60
"""Terminal cells of the note shown on the chart (a Chinese character takes two)."""
PREVIEW_READ = 4 * NOTE_PREVIEW
"""Characters of each part of a note read for its preview (more than the preview shows)."""
PANEL_LIMIT = 160
"""Characters of a complaint or of the diagnoses drawn in this short panel."""


def note_preview(note: NoteEntry) -> str:
    """The note's first words on one line."""
    parts = [note.subjective, note.objective, note.assessment, note.plan, note.free_text]
    # Cut before it is cleaned and measured: a 1 MB note needs only its first words.
    flat = " ".join(" ".join(part[:PREVIEW_READ].split()) for part in parts if part.strip())
    flat = clean_line(flat[:PREVIEW_READ])
    if cell_len(flat) <= NOTE_PREVIEW:
        return flat
    return set_cell_size(flat, NOTE_PREVIEW - 1).rstrip() + "…"


def visit_text(visit: CurrentVisit) -> Text:
    """Three short lines: complaint and state, diagnoses, note."""
    text = Text()
    text.append(f"{tr('Chief complaint')}: ", style="dim")
    text.append_text(data_text(visit.chief_complaint or "—", "bold", limit=PANEL_LIMIT))
    status = QueueStatus.from_encounter_status(visit.status)
    text.append(f" [{tr(_STATUS[status])}]")
    if visit.pending:
        text.append(" *")
    text.append(f"\n{tr('Diagnoses')}: ", style="dim")
    if visit.diagnoses:
        text.append_text(data_text("; ".join(visit.diagnoses), limit=PANEL_LIMIT))
    else:
        text.append(tr("none yet (d)"))
    text.append(f"\n{tr('Note')}: ", style="dim")
    if visit.note is None:
        text.append(tr("No note yet (n)"))
    else:
        text.append(note_preview(visit.note))
        if visit.note_pending:
            text.append(" *")
    return text


class VisitPanel(Static):
    """The current visit at a glance; hidden when the patient has no open visit today."""

    DEFAULT_CSS = """
    VisitPanel {
        height: auto;
        border: round $primary 50%;
        border-title-color: $text;
        padding: 0 1;
    }
    """

    def show(self, visit: CurrentVisit | None) -> None:
        """Display `visit`, or hide the panel when there is none."""
        self.display = visit is not None
        if visit is None:
            return
        self.border_title = tr("This visit")
        pending = visit.pending or visit.note_pending
        self.border_subtitle = tr("* unsynced") if pending else ""
        self.update(visit_text(visit))
