"""A small dialog: move a registration to one of the four queue states (a reason for 'left')."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from clinic_tui.domain.models import QueueEntry, QueueStatus
from clinic_tui.i18n import tr
from clinic_tui.screens.fresh_screen import StyledOnce
from clinic_tui.widgets.data_text import name_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.row_table import CURSOR_MARK

STATUS_LABELS = {
    QueueStatus.WAITING: "Waiting",
    QueueStatus.IN_CONSULTATION: "In consultation",
    QueueStatus.DONE: "Done",
    QueueStatus.LEFT: "Left without being seen",
}
"""English label of each state, as the dialog lists them (translated with tr)."""


class StatusScreen(StyledOnce, ModalScreen[tuple[QueueStatus, str | None] | None]):
    """Pick a state with arrows + Enter or keys 1-4; returns (status, reason) or None."""

    BINDINGS = [
        Binding("escape", "cancel", tr("Cancel")),
        Binding("1", "pick(0)", tr("Waiting"), show=False),
        Binding("2", "pick(1)", tr("In consultation"), show=False),
        Binding("3", "pick(2)", tr("Done"), show=False),
        Binding("4", "pick(3)", tr("Left without being seen"), show=False),
    ]

    def __init__(self, entry: QueueEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        """Title, the four states, and a reason field that appears for 'left'."""
        with Vertical(id="status-dialog", classes="dialog"):
            yield Static(
                Text.assemble(
                    f"{tr('Change status of')} {self.entry.number} ",
                    name_text(self.entry.patient_name),
                ),
                classes="dialog-title",
            )
            options = [
                Option(self._prompt(status, selected=False), id=status.value)
                for status in STATUS_LABELS
            ]
            yield OptionList(*options, id="status-options")
            yield Input(placeholder=tr("Reason for leaving"), id="reason", compact=True)
            yield Static("", id="reason-error", classes="field-error")
        yield KeyFooter()

    def _prompt(self, status: QueueStatus, *, selected: bool) -> str:
        """'▶ 2  In consultation  (current)': the marker shows the choice without colour."""
        index = list(STATUS_LABELS).index(status) + 1
        current = f"  ({tr('current')})" if status is self.entry.status else ""
        mark = CURSOR_MARK if selected else " "
        return f"{mark} {index}  {tr(STATUS_LABELS[status])}{current}"

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Move the marker to the highlighted state."""
        options = event.option_list
        for index, status in enumerate(STATUS_LABELS):
            prompt = self._prompt(status, selected=index == event.option_index)
            if str(options.get_option_at_index(index).prompt) != prompt:
                options.replace_option_prompt_at_index(index, prompt)

    def on_mount(self) -> None:
        """Start on the current state; the reason field stays hidden until needed."""
        self.query_one("#reason").display = False
        self.query_one("#reason-error").display = False
        options = self.query_one(OptionList)
        options.highlighted = list(STATUS_LABELS).index(self.entry.status)
        options.focus()

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)

    def action_pick(self, index: int) -> None:
        """Choose the state at `index` (keys 1-4)."""
        if self.focused is self.query_one("#reason", Input):
            return
        self._choose(list(STATUS_LABELS)[index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a state chooses it."""
        event.stop()
        self._choose(QueueStatus(str(event.option.id)))

    def _choose(self, status: QueueStatus) -> None:
        if status is not QueueStatus.LEFT:
            self.dismiss((status, None))
            return
        self.query_one(OptionList).highlighted = list(STATUS_LABELS).index(status)
        reason = self.query_one("#reason", Input)
        reason.display = True
        reason.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the reason field confirms 'left', if a reason was given."""
        event.stop()
        error = self.query_one("#reason-error", Static)
        if not event.value.strip():
            error.update(tr("Enter why the patient left"))
            error.display = True
            return
        self.dismiss((QueueStatus.LEFT, event.value.strip()))
