"""MarkedOptionList: an OptionList whose highlighted row carries `▶`, so it reads without colour.

NO_COLOR strips the highlight's shade; the marker column keeps the row in sight. Prompts
may be any Rich renderable (a basket line with its warnings beneath it): each sits in a
two-column grid beside its marker, so wrapped lines stay indented.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import RenderableType
from rich.table import Table
from textual.css.styles import RulesMap
from textual.visual import RichVisual, Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from clinic_tui.widgets.row_table import CURSOR_MARK


def _marked(prompt: RenderableType, marked: bool) -> Table:
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(width=1, no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(CURSOR_MARK if marked else " ", prompt)
    return grid


class _MeasuredRow(RichVisual):
    """A row's grid that measures its height once per width. Rich measures a grid by
    drawing it, and OptionList measured every row again after any row changed and on each
    layout pass: most of an order screen's open (2-core machine, benchmarks/form_open.py)."""

    def __init__(self, widget: OptionList, renderable: Table) -> None:
        super().__init__(widget, renderable)
        self._heights: dict[int, int] = {}

    def get_height(self, rules: RulesMap, width: int) -> int:
        """The grid's height at `width` (drawn the first time only)."""
        known = self._heights.get(width)
        if known is None:
            known = self._heights[width] = super().get_height(rules, width)
        return known


class MarkedOptionList(OptionList):
    """An OptionList of (prompt, id, enabled) rows with a `▶` before the highlighted one."""

    MARK_ONLY_FOCUSED: ClassVar[bool] = False
    """True where two lists share a screen and keys (the order screen's active medicines and
    basket both take x): only the focused one shows `▶`, so the row a key acts on is the one
    marked. Elsewhere the marker stays while the focus visits a preview or a filter."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._prompts: list[RenderableType] = []
        self._marked_row: int | None = None
        """The row drawn with the marker now (only it and the next are redrawn on a move)."""

    def _get_visual(self, option: Option) -> Visual:
        """Each row drawn as a _MeasuredRow (OptionList keeps it on the option until the
        row's prompt is replaced)."""
        if option._visual is None and isinstance(option.prompt, Table):
            option._visual = _MeasuredRow(self, option.prompt)
        return super()._get_visual(option)

    def show_rows(self, rows: Sequence[tuple[RenderableType, str | None, bool]]) -> None:
        """Replace every row, keeping the highlight's place (within the new length)."""
        highlighted = self.highlighted
        self.clear_options()
        self._marked_row = None  # every new row is drawn unmarked
        self._prompts = [prompt for prompt, _, _ in rows]
        self.add_options(
            Option(_marked(prompt, False), id=ident, disabled=not enabled)
            for prompt, ident, enabled in rows
        )
        enabled = [i for i, (_, _, on) in enumerate(rows) if on]
        if highlighted is not None and enabled:
            self.highlighted = min(highlighted, enabled[-1])
        self._mark(self.highlighted)

    def on_focus(self) -> None:
        """Arriving with Tab puts the cursor on the first row, so a key acts on a row in sight."""
        if self.highlighted is None:
            first = next(
                (i for i in range(self.option_count) if not self.get_option_at_index(i).disabled),
                None,
            )
            if first is not None:
                self.highlighted = first
        if self.MARK_ONLY_FOCUSED:
            self._mark(self.highlighted, focused=True)

    def on_blur(self) -> None:
        """Leaving: the marker goes with the focus where it must (MARK_ONLY_FOCUSED)."""
        if self.MARK_ONLY_FOCUSED:
            self._mark(self.highlighted, focused=False)

    def prompt_at(self, index: int) -> RenderableType:
        """The row's own prompt, without its marker."""
        return self._prompts[index]

    def watch_highlighted(self, highlighted: int | None) -> None:
        """Move the marker with the highlight."""
        super().watch_highlighted(highlighted)
        self._mark(highlighted)

    def _mark(self, highlighted: int | None, focused: bool | None = None) -> None:
        focused = self.has_focus if focused is None else focused
        if self.MARK_ONLY_FOCUSED and not focused:
            highlighted = None
        if highlighted == self._marked_row:
            return
        for index in (self._marked_row, highlighted):
            if index is not None and index < min(len(self._prompts), self.option_count):
                prompt = self._prompts[index]
                self.replace_option_prompt_at_index(index, _marked(prompt, index == highlighted))
        self._marked_row = highlighted
