"""The decisions a walk-in can need: discard a filled form, register someone already waiting,
and use the patient on file or record why a new one is someone else.

Each asks with keys shown on screen, and nothing happens on a key that was not asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from clinic_tui.domain.models import Gender
from clinic_tui.domain.registration import MatchedOn, PossibleDuplicate
from clinic_tui.i18n import N_, language, tr
from clinic_tui.widgets.data_text import data_block, data_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.patient_header import localized_age
from clinic_tui.widgets.queue_table import fit

MATCH_NAME_CELLS = 30
"""Cells of a name in the matches (a longer one ends in …)."""
MATCH_NUMBER_CELLS = 20
"""Cells of an identity number or a phone in the matches."""


_MATCHED = {
    MatchedOn.IDENTIFIER: N_("Same identity number"),
    MatchedOn.NAME_AND_PHONE: N_("Same name and phone"),
    MatchedOn.NAME_AND_BIRTH_DATE: N_("Same name and birth date"),
}
_SAME = {
    MatchedOn.IDENTIFIER: N_("ID number"),
    MatchedOn.NAME_AND_PHONE: N_("name, phone"),
    MatchedOn.NAME_AND_BIRTH_DATE: N_("name, birth"),
}
"""The same, short enough for a table column at 80 columns."""
_SEX = {Gender.MALE: "M", Gender.FEMALE: "F", Gender.OTHER: "O"}
_SEX_ZH = {Gender.MALE: "男", Gender.FEMALE: "女", Gender.OTHER: "其他"}
"""As the queue writes it ('F 62y'): 'Female 62y' pushed the phone past the border at 80."""


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: `y` does it, `n` or Esc does not (the keys are on screen)."""

    BINDINGS = [
        Binding("y", "answer(True)", tr("Yes")),
        Binding("n", "answer(False)", tr("No")),
        Binding("escape", "answer(False)", tr("No"), show=False),
    ]

    def __init__(self, question: str, yes: str, no: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        """The question, then the two keys in words."""
        with Vertical(id="confirm-dialog", classes="dialog"):
            # A question may name a patient: Text, never markup.
            yield Static(data_block(self.question), classes="dialog-title")
            yield Static(data_text(f"[y] {self.yes}    [n / Esc] {self.no}"), id="confirm-keys")
        yield KeyFooter()

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)


@dataclass(frozen=True)
class DuplicateChoice:
    """What the desk decided: an existing patient's id, or a new one and why."""

    patient_id: str | None = None
    reason: str | None = None


class DuplicateScreen(ModalScreen[DuplicateChoice | None]):
    """Patients on file that the new registration matches; the desk must choose."""

    BINDINGS = [
        Binding("escape", "back", tr("Back to the form")),
        Binding("n", "new_anyway", tr("New patient anyway")),
    ]

    def __init__(self, matches: list[PossibleDuplicate], today: date) -> None:
        super().__init__()
        self.matches = matches
        self.today = today

    def compose(self) -> ComposeResult:
        """Who matched and on what, the choice in words, and a reason field for 'new anyway'."""
        with Vertical(id="duplicate-dialog", classes="dialog"):
            reason = tr(_MATCHED[self.matches[0].on])
            yield Static(f"! {tr('Already on file')}: {reason}", classes="dialog-title")
            table: DataTable[Text] = DataTable(id="duplicate-matches", cursor_type="row")
            table.add_column(tr("Matches"))
            table.add_column(tr("Name"))
            table.add_column(tr("Sex/Age"))
            table.add_column(tr("Birth date"))
            table.add_column(tr("Identity number"))
            table.add_column(tr("Phone"))
            table.styles.height = len(self.matches) + 1  # the header and one line per match
            for match in self.matches:
                patient = match.patient
                # The records on file, as Text: never markup, cut to a column's width.
                table.add_row(
                    Text(tr(_SAME[match.on])),
                    Text(fit(patient.name, MATCH_NAME_CELLS)),
                    Text(
                        f"{(_SEX_ZH if language() == 'zh' else _SEX).get(patient.gender, '?')} "
                        f"{localized_age(patient.birth_date, self.today)}"
                    ),
                    Text(patient.birth_date.isoformat() if patient.birth_date else ""),
                    Text(fit(patient.identifier or "", MATCH_NUMBER_CELLS)),
                    Text(fit(patient.phone or "", MATCH_NUMBER_CELLS)),
                    key=patient.id,
                )
            yield table
            yield Static(
                tr(
                    "One person with two records has two split histories. "
                    "Choose the patient above (↑↓ Enter), or press n to say why this is "
                    "someone else."
                ),
                id="duplicate-help",
            )
            yield Input(
                placeholder=tr("Why is this a different person? (recorded with the new patient)"),
                id="duplicate-reason",
                compact=True,
            )
            yield Static("", id="duplicate-reason-error", classes="field-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        """The matches take the cursor; the reason field waits for `n`."""
        self.query_one("#duplicate-reason").display = False
        self.query_one("#duplicate-reason-error").display = False
        self.query_one(DataTable).focus()
        self.call_after_refresh(self._fit_matches)

    def on_resize(self) -> None:
        """A new width may add or remove the matches' horizontal scrollbar."""
        self.call_after_refresh(self._fit_matches)

    def _fit_matches(self) -> None:
        """Room for the header and every match above any horizontal scrollbar."""
        # At 80 columns the identity number and phone overflow: a bar drawn over the only
        # match hid the very patient the dialog is about.
        table = self.query_one("#duplicate-matches", DataTable)
        height = len(self.matches) + 1 + table.scrollbar_size_horizontal
        if table.styles.height is None or table.styles.height.value != height:
            table.styles.height = height

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a match: register that patient."""
        event.stop()
        if event.row_key.value is not None:
            self.dismiss(DuplicateChoice(patient_id=event.row_key.value))

    def action_new_anyway(self) -> None:
        """Ask why this is someone else."""
        reason = self.query_one("#duplicate-reason", Input)
        if self.focused is reason:
            return
        reason.display = True
        reason.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the reason: a new patient, with the reason recorded; never without one."""
        event.stop()
        if not event.value.strip():
            error = self.query_one("#duplicate-reason-error", Static)
            error.update(f"  ↳ {tr('Say why this is a different person')}")
            error.display = True
            return
        self.dismiss(DuplicateChoice(reason=event.value.strip()))

    def action_back(self) -> None:
        """Back to the form, nothing registered."""
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`n` types into the reason field once it is open."""
        return not (action == "new_anyway" and self.focused is self.query_one("#duplicate-reason"))
