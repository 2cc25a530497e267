"""A Select that builds its drop-down list the first time it opens, not as the form opens.

Textual's Select composes its hidden drop-down (a SelectOverlay, an OptionList with every
choice) with the closed line, so each dropdown on a form is styled, laid out and filled
while nobody sees it: on the 2-core machine that was about a third of a form's opening
(benchmarks/form_open.py). This one composes only the closed line; the list is made,
filled and mounted when it is first shown (Enter, space, arrows, a click, or a subclass
setting `expanded`), then stays, as Select's does. Value, Changed messages, keys and
looks are Select's own.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.widgets import Select
from textual.widgets._select import (
    NonSelectableStatic,
    NoSelection,
    SelectCurrent,
    SelectOverlay,
)
from textual.widgets.option_list import Option

T = TypeVar("T", bound=Hashable)


class _ClosedLine(SelectCurrent):
    """Select's closed line, made showing its first value (Select sets it after mounting,
    which restyled the line: its -has-value class, its label's layout)."""

    def __init__(self, placeholder: str, label: RenderableType | NoSelection) -> None:
        super().__init__(placeholder)
        if not isinstance(label, NoSelection):
            self.label = label
            self.set_reactive(SelectCurrent.has_value, True)
            self.add_class("-has-value")

    def compose(self) -> ComposeResult:
        """The label (or the prompt), then the arrows, as SelectCurrent has them."""
        label = self.placeholder if isinstance(self.label, NoSelection) else self.label
        yield NonSelectableStatic(label, id="label")
        yield NonSelectableStatic("▼", classes="arrow down-arrow")
        yield NonSelectableStatic("▲", classes="arrow up-arrow")


class LazySelect(Select[T], Generic[T]):
    """A Select whose SelectOverlay is composed on first open (same API, same looks)."""

    _overlay: SelectOverlay | None = None

    def compose(self) -> ComposeResult:
        """Only the closed line: the list waits until it is first opened."""
        first = self._value
        if first == self.NULL and not self._allow_blank:
            first = self._options[0][1]  # what Select's _on_mount will choose
        index = None if first == self.NULL else self._index_of(first)
        yield _ClosedLine(self.prompt, self.NULL if index is None else self._options[index][0])

    def _overlay_options(self) -> list[Option]:
        """The list's lines, as Select makes them (the blank line shows the prompt, dim)."""
        return [
            Option(Text(self.prompt, style="dim")) if value == self.NULL else Option(prompt)
            for prompt, value in self._options
        ]

    def _made_overlay(self) -> SelectOverlay:
        """The drop-down list, made, filled and mounted the first time it is needed."""
        if self._overlay is None:
            overlay = SelectOverlay(type_to_search=self._type_to_search)
            overlay.compact = self.compact  # Select data-binds it; no form changes it later
            overlay.add_options(self._overlay_options())
            if self.value != self.NULL:
                overlay.highlighted = self._index_of(self.value)
            # Registered at once (mount's await is only for its Mount event), so
            # Select's own code finds it with query_one from here on.
            self.mount(overlay)
            self._overlay = overlay
        return self._overlay

    def _index_of(self, value: object) -> int | None:
        return next((i for i, (_, v) in enumerate(self._options) if v == value), None)

    def _setup_options_renderables(self) -> None:
        if self._overlay is not None:  # not built yet: it is filled as it is made
            super()._setup_options_renderables()

    def _watch_value(self, value: T | NoSelection) -> None:
        """Select's watcher, without touching a list that is not there yet."""
        self._value = value
        try:
            current = self.query_one(SelectCurrent)
        except NoMatches:  # not composed yet: Select's own _on_mount sets it again
            return
        index = None if value == self.NULL else self._index_of(value)
        label = self.NULL if index is None else self._options[index][0]
        if label is not current.label:  # the line was made showing it: no restyle, no relayout
            current.update(label)
        if index is not None and self._overlay is not None:
            self._overlay.highlighted = index
        self.post_message(self.Changed(self, value))

    def _watch_expanded(self, expanded: bool) -> None:
        if expanded and self.is_attached:
            self._made_overlay()
        super()._watch_expanded(expanded)

    def action_show_overlay(self) -> None:
        """Open the list (made now if this is its first time)."""
        self._made_overlay()
        super().action_show_overlay()

    def _watch_prompt(self, prompt: str) -> None:
        if self._overlay is not None or not self.is_mounted:
            super()._watch_prompt(prompt)
            return
        current = self.query_one(SelectCurrent)
        current.placeholder = prompt
        if self._allow_blank and self.value == self.NULL:
            current.update(self.NULL)
