"""Diagnosis form: search ICD-10, choose a hit, onset, statuses, 'diagnosis of this visit'.

The search is whatever DiagnosisSearch the cache hands over (the built-in
fallback until the terminology search is plugged in); it runs in a worker so
a slow terminology never holds a keystroke.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from clinic_tui.domain.chart_entry import (
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    ConditionEntry,
    CurrentVisit,
    validate_condition,
)
from clinic_tui.domain.diagnosis_search import CodeHit, DiagnosisSearch
from clinic_tui.domain.validation import parse_birth_date
from clinic_tui.i18n import language, tr
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.screens.chart_form import ChartForm, Write, field_row
from clinic_tui.widgets.data_text import data_text
from clinic_tui.widgets.lazy_select import LazySelect
from clinic_tui.widgets.tick_box import TickBox


def hit_label(hit: CodeHit) -> Text:
    """'I10 高血压 Essential (primary) hypertension', the user's language first (an imported
    code list's words: drawn as data)."""
    if language() == "zh":
        return data_text(f"{hit.code}  {hit.display_zh}  {hit.display_en}")
    return data_text(f"{hit.code}  {hit.display_en}  {hit.display_zh}")


class ProblemForm(ChartForm):
    """Record a new problem or diagnosis (Condition, ICD-10)."""

    FIELD_ORDER = ("query", "onset", "clinical", "verification", "this_visit")

    def __init__(
        self,
        editor: ChartEditor,
        search: DiagnosisSearch,
        patient_id: str,
        visit: CurrentVisit | None,
        now: datetime,
    ) -> None:
        super().__init__(tr("Add a diagnosis"))
        self.editor = editor
        self.search = search
        self.patient_id = patient_id
        self.visit = visit
        self.now = now
        self.hits: list[CodeHit] = []
        self.chosen: CodeHit | None = None
        self._searched = ""
        """The text the hits on show answer."""
        self._enter_pending = False
        """Enter came before the hits of what was typed: take the first when they arrive."""
        self._save_pending = False
        """ctrl+s came while Enter waited too: save once the choice is made."""

    def fields(self) -> ComposeResult:
        """Search box, its hits, the chosen code, then onset and statuses."""
        yield from field_row(
            tr("Search"), Input(id="query", placeholder=tr("code, name or pinyin"), compact=True),
            "query",
        )  # fmt: skip
        yield OptionList(id="hits", compact=True)
        yield Static(
            Text(f"{tr('Chosen')}: {tr('nothing yet: type, then ↓ and Enter')}"), id="chosen"
        )
        yield Static("", id="code-error", classes="field-error")
        yield from field_row(
            tr("Onset"), Input(id="onset", placeholder=tr("optional, YYYY-MM-DD"), compact=True),
            "onset",
        )  # fmt: skip
        clinical = [(tr(code), code) for code in CONDITION_CLINICAL]
        yield from field_row(
            tr("Clinical status"),
            LazySelect(clinical, id="clinical", value="active", allow_blank=False, compact=True),
            "clinical",
        )
        verification = [(tr(code), code) for code in CONDITION_VERIFICATION[:4]]
        yield from field_row(
            tr("Verification"),
            LazySelect(verification, id="verification", value="confirmed", allow_blank=False,
                   compact=True),
            "verification",
        )  # fmt: skip
        yield TickBox(
            tr("Diagnosis of this visit"),
            value=self.visit is not None,
            disabled=self.visit is None,
            id="this_visit",
            compact=True,
        )

    def on_mount(self) -> None:
        """The hit list shows only once there is something to show."""
        self.query_one("#hits", OptionList).display = False

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing in the search box searches (in a worker)."""
        if event.input.id == "query":
            self.run_search(event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="diagnosis-search")
    def run_search(self, text: str) -> tuple[str, list[CodeHit]]:
        """Ask the diagnosis search; (text, hits) arrive through on_worker_state_changed."""
        return text, self.search(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the search's hits; other workers are the base form's business."""
        if event.worker.group != "diagnosis-search":
            return  # ChartForm's own handler (Textual calls each class's) takes the save
        result = event.worker.result
        if event.state is WorkerState.SUCCESS and isinstance(result, tuple):
            self._searched, hits = result
            self.show_hits(hits)
            if self._enter_pending:
                self._enter_pending = False
                if self.hits:
                    self.choose(self.hits[0])
                if self._save_pending:
                    self._save_pending = False
                    self.action_save()

    def show_hits(self, hits: list[CodeHit]) -> None:
        """Fill the list (the first hit highlighted) or say nothing matched."""
        self.hits = hits
        options = self.query_one("#hits", OptionList)
        options.clear_options()
        query = self.query_one("#query", Input).value.strip()
        if hits:
            options.add_options([Option(hit_label(hit)) for hit in hits])
            options.highlighted = 0
        elif query:
            options.add_option(Option(tr("No match in the diagnosis list"), disabled=True))
        options.display = bool(query)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box takes the highlighted hit."""
        if event.input.id == "query":
            event.prevent_default()  # not ChartForm's move-to-next-field
            event.stop()
            options = self.query_one("#hits", OptionList)
            if self._searched != event.value:
                # Typed in a burst: the search has not answered yet; Enter waits for it.
                self._enter_pending = True
            elif self.hits and options.highlighted is not None:
                self.choose(self.hits[options.highlighted])

    def on_key(self, event: events.Key) -> None:
        """↓ in the search box moves into the hits."""
        if event.key == "down" and self.focused is self.query_one("#query", Input) and self.hits:
            # The key only moves focus: the first hit is the one highlighted, not the second.
            event.stop()
            event.prevent_default()
            hits = self.query_one("#hits", OptionList)
            hits.highlighted = 0
            hits.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a hit chooses it."""
        event.stop()
        if 0 <= event.option_index < len(self.hits):
            self.choose(self.hits[event.option_index])

    def choose(self, hit: CodeHit) -> None:
        """Take `hit` as the diagnosis and move on to the onset."""
        self.chosen = hit
        self.query_one("#chosen", Static).update(Text.assemble(f"{tr('Chosen')}: ", hit_label(hit)))
        self.clear_error("code")
        self.show_form_message(None)
        self.query_one("#onset", Input).focus()

    def values(self) -> dict[str, object]:
        """The chosen code counts as a change too."""
        found = super().values()
        found["chosen"] = getattr(self, "chosen", None)
        return found

    def action_save(self) -> None:
        """Save; typed ahead of the search's answer, save once it has chosen."""
        if self._enter_pending:
            self._save_pending = True
            return
        super().action_save()

    def show_errors(self, errors: dict[str, str]) -> None:
        """A missing choice sends the cursor back to the search box."""
        super().show_errors(errors)
        if "code" in errors:
            self.query_one("#query", Input).focus()

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Check the choice and the onset; the write records the Condition."""
        onset_text = self.query_one("#onset", Input).value
        errors = validate_condition(self.chosen, onset_text, self.now.date())
        if errors or self.chosen is None:
            return errors, None
        entry = ConditionEntry(
            code=self.chosen,
            onset=parse_birth_date(onset_text) if onset_text.strip() else None,
            clinical_status=str(self.query_one("#clinical", Select).value),
            verification=str(self.query_one("#verification", Select).value),
            this_visit=self.query_one("#this_visit", Checkbox).value,
        )
        editor, patient_id, now = self.editor, self.patient_id, self.now
        encounter_id = self.visit.encounter_id if self.visit else None
        label = f"{entry.code.code} {entry.code.display_zh}"

        def write() -> str:
            editor.add_condition(patient_id, entry, now, encounter_id)
            return f"{tr('Diagnosis recorded')}: {label}"

        return {}, write
