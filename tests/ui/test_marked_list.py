"""MarkedOptionList: the marker follows the highlight, and a move re-measures only the two
rows it redraws (every move and layout pass used to draw every row again to measure it)."""

from __future__ import annotations

from typing import Any

import pytest
from rich.table import Table
from textual.app import App, ComposeResult
from textual.visual import RichVisual

from clinic_tui.widgets.marked_list import MarkedOptionList
from clinic_tui.widgets.row_table import CURSOR_MARK

pytestmark = pytest.mark.anyio

ROWS = 20


class ListApp(App[None]):
    """One marked list of ROWS rows, focused."""

    def compose(self) -> ComposeResult:
        yield MarkedOptionList(id="rows")

    def on_mount(self) -> None:
        rows = self.query_one(MarkedOptionList)
        rows.show_rows([(f"row {i} " + "word " * (i % 7), f"r{i}", True) for i in range(ROWS)])
        rows.highlighted = 0
        rows.focus()


def _marked_rows(rows: MarkedOptionList) -> list[int]:
    marked = []
    for index in range(rows.option_count):
        prompt = rows.get_option_at_index(index).prompt
        assert isinstance(prompt, Table)
        if list(prompt.columns[0].cells) == [CURSOR_MARK]:
            marked.append(index)
    return marked


async def test_moving_the_highlight_measures_two_rows_and_moves_the_marker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    measured: list[int] = []
    height = RichVisual.get_height

    def counted(self: RichVisual, rules: Any, width: int) -> int:
        measured.append(width)
        return height(self, rules, width)

    monkeypatch.setattr(RichVisual, "get_height", counted)
    app = ListApp()
    async with app.run_test(size=(60, 12)) as pilot:
        rows = app.query_one(MarkedOptionList)
        await pilot.pause()
        assert _marked_rows(rows) == [0]
        measured.clear()
        for _ in range(5):
            await pilot.press("down")
            await pilot.pause()
        rows.refresh(layout=True)  # another layout pass: nothing new to measure
        await pilot.pause()
        assert _marked_rows(rows) == [5]
        assert rows.highlighted == 5
        # Each move redraws the row left and the row reached: those two are measured (at
        # most at two widths: the list's height and its lines), not all ROWS again.
        assert len(measured) <= 2 * 2 * 5
        # The list's height is still that of every row, as OptionList measures it.
        rows.show_rows([(f"line {i}", f"l{i}", True) for i in range(3)])
        await pilot.pause()
        assert rows.virtual_size.height == 3
        assert _marked_rows(rows) == [min(5, 2)]
