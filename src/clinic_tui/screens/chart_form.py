"""What every chart form shares: ctrl+s saves, Escape asks before losing changes, errors inline.

A form checks everything first (each wrong field says what is wrong beneath it,
and nothing is written); then the write runs in a thread worker. A refusal from
the cache (e.g. 'allergies are recorded') stays in the form; success closes it
with a one-line notice for the chart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static, TextArea
from textual.worker import Worker, WorkerState

from clinic_tui.i18n import tr
from clinic_tui.screens.fresh_screen import StyledOnce
from clinic_tui.widgets.data_text import data_block, data_text
from clinic_tui.widgets.key_footer import KeyFooter

Write = Callable[[], str]
"""The change itself, run in a worker thread; returns the notice shown on the chart."""


def field_row(label: str, widget: Widget, field_id: str) -> ComposeResult:
    """A labelled one-line field with its (hidden until needed) error line beneath."""
    with Vertical(classes="form-field"):
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label")
            yield widget
        yield Static("", id=f"{field_id}-error", classes="field-error")


def shown(widget: Widget) -> bool:
    """True when neither the widget nor any container around it is hidden."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


class ChartForm(StyledOnce, ModalScreen[str | None]):
    """Base of the chart's forms; subclasses compose `fields` and implement `prepare`."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("ctrl+s", "save", tr("Save"), priority=True),
        Binding("escape", "cancel", tr("Cancel")),
    ]

    # Shared by every chart form (a base class, so its look lives with it, not in app.tcss).
    DEFAULT_CSS = """
    ChartForm .chart-form {
        width: 78;
    }
    ChartForm .form-fields {
        height: auto;
        max-height: 20;
    }
    ChartForm OptionList {
        height: auto;
        max-height: 8;
        margin-bottom: 1;
    }
    ChartForm .note-text {
        height: 4;
        margin-bottom: 0;
    }
    ChartForm .note-label {
        color: $text-muted;
    }
    ChartForm Checkbox {
        margin-left: 18;
    }
    """

    FIELD_ORDER: ClassVar[tuple[str, ...]] = ()
    """Field ids in screen order: the first wrong one takes the cursor."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.form_title = title
        self._initial: dict[str, object] = {}
        self._saving = False

    def compose(self) -> ComposeResult:
        """Title, the form's message line, its fields, the footer with its keys."""
        with Vertical(classes="dialog chart-form"):
            yield Static(data_text(self.form_title), classes="dialog-title")
            yield Static("", id="form-error", classes="field-error")
            # Not a focus stop: the fields scroll into view as they take the cursor. A
            # focusable scroll took the screen's auto-focus first, and passing the cursor
            # on to the first field restyled every field twice (~60 ms of each open).
            with VerticalScroll(classes="form-fields", can_focus=False):
                yield from self.fields()
        yield KeyFooter()

    def fields(self) -> ComposeResult:
        """The form's own fields (use field_row)."""
        raise NotImplementedError

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """(field -> English message, the write to run when there are none)."""
        raise NotImplementedError

    def on_mount(self) -> None:
        """Errors show only once there is one; remember the values to tell a change."""
        for error in self.query(".field-error"):
            error.display = False
        self._initial = self.values()
        self.focus_first()

    def focus_first(self) -> None:
        """The cursor starts in the first field."""
        kinds = (Input, Select, TextArea, OptionList)
        for widget in self.query(".form-fields *"):
            if isinstance(widget, kinds) and shown(widget) and not widget.disabled:
                self.focus_in_place(widget)
                return

    def focus_in_place(self, widget: Widget) -> None:
        """Focus `widget`, brought into view at once: Textual's focus scrolls there with a
        0.2 s animation, a form that settles a line after it has opened (and a repaint of
        every frame down a thin link)."""
        widget.focus(scroll_visible=False)
        widget.scroll_visible(animate=False)

    # ----- change tracking -------------------------------------------------------------------

    def values(self) -> dict[str, object]:
        """Every field's current value, by id."""
        found: dict[str, object] = {}
        for widget in self.query("Input, Select, TextArea, Checkbox"):
            if widget.id is None:
                continue
            if isinstance(widget, (Input, Select)):
                found[widget.id] = widget.value
            elif isinstance(widget, TextArea):
                found[widget.id] = widget.text
            elif isinstance(widget, Checkbox):
                found[widget.id] = widget.value
        return found

    @property
    def changed(self) -> bool:
        """True when anything differs from what the form opened with."""
        return self.values() != self._initial

    def action_cancel(self) -> None:
        """Close; when something was typed, ask first."""
        if self._saving:
            return
        if not self.changed:
            self.dismiss(None)
            return
        from clinic_tui.screens.discard_dialog import discard_question

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(discard_question(), answered)

    # ----- messages ---------------------------------------------------------------------------

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message beneath its field, a line on top, the cursor on the first wrong field."""
        for widget in self.query(".field-error"):
            if widget.id == "form-error" or not isinstance(widget, Static):
                continue
            message = errors.get(str(widget.id).removesuffix("-error"))
            widget.update(data_text(f"  ↳ {tr(message)}" if message else ""))
            widget.display = message is not None
        self.show_form_message(tr("Fix the fields marked below") if errors else None)
        first = next((f for f in self.FIELD_ORDER if f in errors), None)
        if first is not None and self.query(f"#{first}"):
            self.query_one(f"#{first}").focus()

    def show_form_message(self, message: str | None) -> None:
        """The line under the title (None hides it)."""
        banner = self.query_one("#form-error", Static)
        # Messages may quote a record or an error: Text, never markup.
        banner.update(data_block(message or ""))
        banner.display = message is not None

    def show_field(self, field_id: str, visible: bool) -> None:
        """Show or hide a field's whole row (label, widget, message)."""
        for node in self.query_one(f"#{field_id}").ancestors:
            if isinstance(node, Widget) and node.has_class("form-field"):
                node.display = visible
                return

    def clear_error(self, field_id: str | None) -> None:
        """Editing a field clears its message."""
        if field_id and self.query(f"#{field_id}-error"):
            self.query_one(f"#{field_id}-error").display = False

    def on_input_changed(self, event: Input.Changed) -> None:
        """Editing a field clears its message."""
        self.clear_error(event.input.id)

    def on_select_changed(self, event: Select.Changed) -> None:
        """Choosing clears the field's message."""
        self.clear_error(event.select.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last one it saves."""
        event.stop()
        inputs = [i for i in self.query(Input) if shown(i) and not i.disabled]
        if inputs and event.input is inputs[-1]:
            self.action_save()
        else:
            self.focus_next()

    # ----- saving ------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Check every field; write only when all are right."""
        if self._saving:
            return
        errors, write = self.prepare()
        self.show_errors(errors)
        if errors or write is None:
            return
        self._saving = True
        self.show_form_message(tr("Saving…"))
        self._write(write)

    @work(thread=True, exclusive=True, exit_on_error=False, group="form-save")
    def _write(self, write: Write) -> str:
        return write()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Saved: close with the notice. Refused: say why in the form and keep what was typed."""
        if event.worker.group != "form-save":
            return
        if event.state is WorkerState.SUCCESS:
            self.dismiss(str(event.worker.result))
        elif event.state is WorkerState.ERROR:
            self._saving = False
            error = event.worker.error
            from clinic_tui.offline_cache.chart_edits import ChartEditError

            if isinstance(error, ChartEditError):
                self.show_form_message(tr(str(error)))
            else:
                self.show_form_message(tr("Could not save: {error}").format(error=error))
