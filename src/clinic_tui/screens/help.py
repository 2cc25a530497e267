"""Every key of the screen underneath, in one list (the `?` key)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from clinic_tui.i18n import add_translations, tr

add_translations({"Keys": "快捷键", "Key": "按键", "Action": "功能", "Close": "关闭"})


class HelpScreen(ModalScreen[None]):
    """A list of (key, what it does); Esc, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss_help", tr("Close")),
        Binding("q", "dismiss_help", tr("Close"), show=False),
        Binding("question_mark", "dismiss_help", tr("Close"), show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]], title: str | None = None) -> None:
        super().__init__()
        self.keys = keys
        self.title_text = title or tr("Keys")

    def compose(self) -> ComposeResult:
        """A title and a two-column table."""
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            table: DataTable[str] = DataTable(id="help-keys", cursor_type="row")
            table.add_column(tr("Key"), key="key")
            table.add_column(tr("Action"), key="action")
            for key, description in self.keys:
                table.add_row(key, description)
            yield table
        yield Footer()

    def action_dismiss_help(self) -> None:
        """Back to the screen underneath."""
        self.dismiss(None)
