"""The conflict editor: one record's merged FHIR JSON, edited by hand, checked before saving.

Saving refuses anything that is not a JSON object of the same resourceType and
id as the record in conflict; the reason shows under the editor and nothing is
saved. Ctrl+S saves (as every form here does), Escape gives up.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from clinic_tui.i18n import tr
from clinic_tui.widgets.data_text import data_text
from clinic_tui.widgets.key_footer import KeyFooter

Resource = dict[str, Any]


# What json.dumps(ensure_ascii=False) leaves raw and a terminal would obey or reorder: DEL,
# C1 controls, bidi controls, line separators and lone surrogates. (It escapes C0.)
_RAW_IN_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)


def _visible_escapes(text: str) -> str:
    """JSON text with those characters written as \\uXXXX escapes: the same JSON, drawn safely.

    They can only stand inside JSON strings, where an escape means the same character, so
    a record saved unchanged from the editor is the record it was.
    """
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def check_edited(text: str, resource_type: str, resource_id: str) -> Resource | str:
    """The edited resource, or the reason (translated) why it cannot be saved."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return tr("Not valid JSON (line {line}, column {column}): {reason}").format(
            line=error.lineno, column=error.colno, reason=error.msg
        )
    if not isinstance(value, dict):
        return tr("The record must be one JSON object")
    if value.get("resourceType") != resource_type:
        return tr("resourceType must stay {expected}").format(expected=resource_type)
    if value.get("id") != resource_id:
        return tr("id must stay {expected}").format(expected=resource_id)
    return value


class ConflictEditor(ModalScreen[Resource | None]):
    """A JSON editor for one record; dismisses with the checked resource, or None."""

    CSS_PATH = Path(__file__).with_name("conflicts.tcss")
    BINDINGS = [
        Binding("ctrl+s", "save", tr("Save")),
        Binding("escape", "cancel", tr("Cancel")),
    ]

    def __init__(self, resource: Resource, title: str) -> None:
        super().__init__()
        self.resource_type = str(resource.get("resourceType", ""))
        self.resource_id = str(resource.get("id", ""))
        self.initial = _visible_escapes(json.dumps(resource, ensure_ascii=False, indent=2))
        self.title_text = title

    def compose(self) -> ComposeResult:
        """Title, the editor, the error line."""
        with Vertical(id="conflict-editor", classes="dialog"):
            yield Static(
                Text.assemble(f"{tr('Edit the record')}: ", data_text(self.title_text, limit=120)),
                classes="dialog-title",
            )
            yield Static(tr("Ctrl+S saves, Esc cancels"), id="conflict-editor-help")
            yield TextArea(
                self.initial, id="conflict-json", soft_wrap=True, show_line_numbers=False
            )
            yield Static(id="conflict-editor-error", classes="field-error")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        """The cursor starts in the editor."""
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        """Check the JSON; save only a valid record of the same type and id."""
        checked = check_edited(self.query_one(TextArea).text, self.resource_type, self.resource_id)
        error = self.query_one("#conflict-editor-error", Static)
        if isinstance(checked, str):
            error.update(data_text(f"! {checked}"))
            return
        error.update("")
        self.dismiss(checked)

    def action_cancel(self) -> None:
        """Leave without saving."""
        self.dismiss(None)
