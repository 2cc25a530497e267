"""Withdraw an allergy (or a 'no known allergies' statement) recorded by mistake.

Nothing is deleted: the record is marked entered-in-error, so the server and
every other workstation learn it was withdrawn, and the banner stops showing it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from clinic_tui.domain.chart_entry import RecordedAllergy
from clinic_tui.i18n import N_, tr
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.screens.chart_form import ChartForm, Write
from clinic_tui.widgets.data_text import data_text

OPTION_PART = 120
"""Characters of a substance or a reaction in the list of records."""


class AllergyChangeForm(ChartForm):
    """Pick an allergy record; saving marks it entered-in-error."""

    FIELD_ORDER = ("allergies",)

    def __init__(self, editor: ChartEditor, allergies: list[RecordedAllergy]) -> None:
        super().__init__(tr("Withdraw an allergy entered in error"))
        self.editor = editor
        self.allergies = allergies

    def fields(self) -> ComposeResult:
        """The allergy records, then what saving does."""
        options = []
        for allergy in self.allergies:
            text = data_text(allergy.substance, limit=OPTION_PART)
            if allergy.criticality:
                text.append_text(data_text(f" ({tr(allergy.criticality)})", limit=OPTION_PART))
            if allergy.reaction:
                text.append_text(data_text(f" {allergy.reaction}", limit=OPTION_PART))
            text.append(" *" if allergy.pending else "")
            options.append(Option(text))
        if not options:
            options = [Option(tr("No allergy records to withdraw"), disabled=True)]
        yield OptionList(*options, id="allergies", compact=True)
        yield Static("", id="allergies-error", classes="field-error")
        yield Static(
            tr("ctrl+s marks the highlighted record entered in error (kept, no longer shown)")
        )

    def on_mount(self) -> None:
        """The first record is highlighted."""
        if self.allergies:
            self.query_one("#allergies", OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a record withdraws it, as ctrl+s does."""
        event.stop()
        self.action_save()

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """The write marks the highlighted record entered-in-error."""
        index = self.query_one("#allergies", OptionList).highlighted
        if index is None or not 0 <= index < len(self.allergies):
            return {"allergies": N_("Choose the record to withdraw")}, None
        allergy, editor = self.allergies[index], self.editor

        def write() -> str:
            editor.allergy_entered_in_error(allergy.id)
            return f"{tr('Marked entered in error')}: {allergy.substance}"

        return {}, write
