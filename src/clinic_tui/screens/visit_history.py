"""History: the patient's visits, newest first; the highlighted one shows what was recorded.

What a visit holds (its diagnoses, vital signs, prescriptions and note) is read
in a worker as the cursor moves, so scrolling through years of visits never waits.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from clinic_tui.domain.chart_entry import VisitRecord
from clinic_tui.domain.chart_resources import SOAP_SECTIONS
from clinic_tui.domain.models import VisitSummary
from clinic_tui.i18n import N_, language, tr
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.widgets.data_text import data_block, data_text
from clinic_tui.widgets.key_footer import KeyFooter

OPTION_LIMIT = 200
"""Characters of one visit in the list (date, place, reason): a few lines at most."""


def record_text(record: VisitRecord) -> Text:
    """What one visit recorded, section by section, in plain words."""
    text = Text()
    # Everything but the headings is the record's own text: data, never markup.
    text.append_text(data_text(f"{record.started}  {record.organization}", "bold"))
    text.append(f"\n{tr('Chief complaint')}: ", style="dim")
    text.append_text(data_text(record.reason))
    text.append((" *" if record.pending else "") + "\n")

    def block(title: str, lines: list[str]) -> None:
        text.append(f"{tr(title)}: ", style="bold")
        if lines:
            text.append_text(data_block("\n  ".join(lines)))
        else:
            text.append(tr("Nothing recorded"))
        text.append("\n")

    block("Diagnoses", record.diagnoses)
    block(N_("Vital signs"), [f"{tr(label)} {value}" for label, value in record.vitals])
    block(N_("Prescriptions"), record.medications)
    note_lines: list[str] = []
    if record.note is not None:
        if record.note.is_soap:
            for key, _code, en, zh in SOAP_SECTIONS:
                value = getattr(record.note, key).strip()
                if value:
                    heading = zh if language() == "zh" else en
                    note_lines.append(f"{heading}: {value}")
        elif record.note.free_text.strip():
            note_lines.append(record.note.free_text.strip())
    block("Note", note_lines)
    return text


class VisitHistoryScreen(ModalScreen[None]):
    """The visit list above, the highlighted visit's record below; Escape closes."""

    DEFAULT_CSS = """
    VisitHistoryScreen #history-dialog {
        width: 100;
    }
    VisitHistoryScreen #history-visits {
        height: auto;
        max-height: 8;
        margin-bottom: 1;
    }
    VisitHistoryScreen #history-detail {
        height: auto;
        max-height: 24;
    }
    """

    BINDINGS = [Binding("escape", "close", tr("Back"))]

    def __init__(self, editor: ChartEditor, visits: list[VisitSummary]) -> None:
        super().__init__()
        self.editor = editor
        self.visits = visits

    def compose(self) -> ComposeResult:
        """List and detail in one dialog."""
        with Vertical(id="history-dialog", classes="dialog"):
            yield Static(tr("Visit history"), classes="dialog-title")
            options = [
                Option(
                    data_text(
                        f"{visit.started:%Y-%m-%d}  {visit.organization or '—'}  {visit.reason}"
                        if visit.started is not None
                        else f"—  {visit.organization or '—'}  {visit.reason}",
                        limit=OPTION_LIMIT,
                    )
                )
                for visit in self.visits
            ]
            if not options:
                options = [Option(tr("No visits recorded"), disabled=True)]
            yield OptionList(*options, id="history-visits", compact=True)
            with VerticalScroll(id="history-detail"):
                yield Static("", id="history-record")
        yield KeyFooter()

    def on_mount(self) -> None:
        """The newest visit is shown first."""
        visits = self.query_one("#history-visits", OptionList)
        visits.focus()
        if self.visits:
            visits.highlighted = 0

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Read the highlighted visit's record."""
        if 0 <= event.option_index < len(self.visits):
            self.load_record(self.visits[event.option_index].encounter_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="history")
    def load_record(self, encounter_id: str) -> VisitRecord | None:
        """One visit's record, from the cache."""
        return self.editor.visit_record(encounter_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the record, or why it could not be read."""
        if event.worker.group != "history":
            return
        detail = self.query_one("#history-record", Static)
        if event.state is WorkerState.SUCCESS and isinstance(event.worker.result, VisitRecord):
            detail.update(record_text(event.worker.result))
        elif event.state is WorkerState.ERROR:
            error = tr("Could not read the visit: {error}").format(error=event.worker.error)
            detail.update(data_block(error))

    def action_close(self) -> None:
        """Back to the chart."""
        self.dismiss(None)
