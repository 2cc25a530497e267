"""A yes/no question: leave a form whose changes would be lost, or confirm a one-key action."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from clinic_tui.i18n import tr
from clinic_tui.widgets.data_text import data_block, data_text
from clinic_tui.widgets.key_footer import KeyFooter


class ConfirmScreen(ModalScreen[bool]):
    """Asks one question; y answers yes, n or Escape no. Nothing happens until answered."""

    BINDINGS = [
        Binding("y", "answer(True)", tr("Yes")),
        Binding("n", "answer(False)", tr("No")),
        Binding("escape", "answer(False)", tr("No"), show=False),
    ]

    def __init__(self, question: str, hint: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.hint = hint or tr("y: yes   n / Esc: no")

    def compose(self) -> ComposeResult:
        """The question and which key answers what."""
        with Vertical(id="confirm-dialog", classes="dialog"):
            # A question may name a patient: Text, never markup.
            yield Static(data_block(self.question), classes="dialog-title")
            yield Static(data_text(self.hint), id="confirm-hint")
        yield KeyFooter()

    def action_answer(self, answer: bool) -> None:
        """Close with the answer."""
        self.dismiss(answer)


def discard_question() -> ConfirmScreen:
    """The question asked when Escape would lose what was typed into a form."""
    return ConfirmScreen(
        tr("Discard the changes in this form?"), tr("y: discard   n / Esc: keep editing")
    )
