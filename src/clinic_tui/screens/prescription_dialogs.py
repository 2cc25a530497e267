"""Dialogs of the order screen: override a high-severity warning, stop a medication.

Each says what it is about in words, takes its answer from the keyboard, refuses an
incomplete answer with a message in place, and loses nothing on Escape: an override
dialog closed with Escape means "go back and change the order".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import language, tr
from clinic_tui.prescribing.model import Override, OverrideReason, SafetyWarning
from clinic_tui.screens.fresh_screen import StyledOnce
from clinic_tui.widgets.data_text import data_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.marked_list import MarkedOptionList
from clinic_tui.widgets.order_lines import warning_text

MAX_COMMENT = 500
"""A stop reason stays under this, as an override's comment does."""


def reason_words(reason: OverrideReason) -> str:
    """A coded reason in the interface language."""
    return reason.text_zh if language() == "zh" and reason.text_zh else reason.text_en


class OverrideDialog(StyledOnce, ModalScreen[Override | None]):
    """Pick a coded reason (and say why) to sign despite a HIGH warning; Esc goes back."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("ctrl+s", "record", tr("Record the override"), priority=True),
        Binding("escape", "back", tr("Change the order")),
    ]

    DEFAULT_CSS = """
    OverrideDialog #override-dialog {
        width: 78;
    }
    OverrideDialog #override-reasons {
        height: auto;
        max-height: 8;
        border: none;
        padding: 0;
        margin-top: 1;
    }
    OverrideDialog #override-comment {
        background: $boost;
    }
    OverrideDialog #override-error {
        color: $text-error;
        text-style: bold;
    }
    """

    def __init__(
        self,
        warning: SafetyWarning,
        drug: str,
        reasons: Sequence[OverrideReason],
        by: str = "",
        current: Override | None = None,
    ) -> None:
        super().__init__()
        self.warning = warning
        self.drug = drug
        self.reasons = tuple(reasons)
        self.by = by
        self.current = current

    def compose(self) -> ComposeResult:
        """The warning, the coded reasons, the comment."""
        with Vertical(id="override-dialog", classes="dialog"):
            yield Static(tr("Override a high-severity warning"), classes="dialog-title")
            line = tr("Line {n}: {drug}").format(n=self.warning.line + 1, drug=self.drug)
            yield Static(data_text(line, "bold"))  # the drug's name is data
            yield Static(warning_text(self.warning, None, verdict=False), id="override-warning")
            yield MarkedOptionList(id="override-reasons")
            yield Input(
                value=clean_line(self.current.comment) if self.current else "",
                placeholder=tr("Comment (required for Other)"),
                id="override-comment",
                compact=True,
            )
            yield Static("", id="override-error")
            yield Static(tr("Enter: record · Esc: go back and change the order"))
        yield KeyFooter()

    def on_mount(self) -> None:
        """The reason list takes the cursor, on the reason given before if any."""
        reasons = self.query_one("#override-reasons", MarkedOptionList)
        reasons.show_rows([(reason_words(r), r.code, True) for r in self.reasons])
        codes = [r.code for r in self.reasons]
        if self.current is not None and self.current.reason.code in codes:
            reasons.highlighted = codes.index(self.current.reason.code)
        else:
            reasons.highlighted = 0 if codes else None
        reasons.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a reason: on to the comment (Other needs one; others may add one)."""
        event.stop()
        self.query_one("#override-comment", Input).focus()

    def on_input_changed(self, _event: Input.Changed) -> None:
        """Typing the comment clears the message about it."""
        self.query_one("#override-error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the comment records the override."""
        event.stop()
        self.action_record()

    def chosen(self) -> OverrideReason | None:
        """The highlighted coded reason."""
        index = self.query_one("#override-reasons", OptionList).highlighted
        return self.reasons[index] if index is not None and index < len(self.reasons) else None

    def action_record(self) -> None:
        """Close with the override, or say what is missing."""
        from clinic_tui.prescribing.overrides import validate

        reason = self.chosen()
        error_line = self.query_one("#override-error", Static)
        if reason is None:
            error_line.update(f"! {tr('Choose a reason')}")
            return
        comment = self.query_one("#override-comment", Input).value.strip()
        override = Override(self.warning.key, reason, comment, self.by)
        problem = validate(override)  # the checks' own rule of a complete override
        if problem is not None:
            english, chinese = problem
            error_line.update(f"! {chinese if language() == 'zh' else english}")
            self.query_one("#override-comment", Input).focus()
            return
        self.dismiss(override)

    def action_back(self) -> None:
        """Go back to the order without overriding."""
        self.dismiss(None)


class StopDialog(ModalScreen[str | None]):
    """Confirm stopping a medication, with the reason recorded on it (statusReason)."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "keep", tr("Keep it")),
    ]

    DEFAULT_CSS = """
    StopDialog #stop-dialog {
        width: 70;
    }
    StopDialog #stop-error {
        color: $text-error;
        text-style: bold;
    }
    """

    def __init__(self, drug: str) -> None:
        super().__init__()
        self.drug = drug

    def compose(self) -> ComposeResult:
        """The question, the reason, the keys."""
        with Vertical(id="stop-dialog", classes="dialog"):
            # The medication's name is the record's: Text, never markup.
            question = tr("Stop {drug}?").format(drug=data_text(self.drug, limit=120).plain)
            yield Static(Text(question), classes="dialog-title")
            yield Input(placeholder=tr("Why is it stopped?"), id="stop-reason", compact=True)
            yield Static("", id="stop-error")
            yield Static(tr("Enter: stop it · Esc: keep it"))
        yield KeyFooter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter stops it, once a reason is given."""
        event.stop()
        reason = event.value.strip()
        if not reason:
            self.query_one("#stop-error", Static).update(
                f"! {tr('Say why the medication is stopped')}"
            )
            return
        if len(reason) > MAX_COMMENT:
            self.query_one("#stop-error", Static).update(
                f"! {tr('Keep the comment under 500 characters')}"
            )
            return
        self.dismiss(reason)

    def action_keep(self) -> None:
        """Leave the medication as it is."""
        self.dismiss(None)
