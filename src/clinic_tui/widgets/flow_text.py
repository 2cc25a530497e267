"""FlowText: a line of fields that wraps between fields, never inside one.

A label and its value ("Phone 13800138000") or one allergy with its reaction
stays together on one line at 80 columns; wide (Chinese) characters are
measured in terminal cells, so lines never overflow.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.text import Text


class FlowText:
    """Rich renderable: `fields` joined by `gap`, moving whole fields to the next line."""

    def __init__(self, fields: Sequence[Text], gap: str = "  ") -> None:
        self.fields = [field for field in fields if field.cell_len]
        self.gap = gap

    def lines(self, width: int) -> list[Text]:
        """The fields laid out in lines of at most `width` cells (a lone field may be longer)."""
        lines: list[Text] = []
        line = Text()
        for field in self.fields:
            if line.cell_len and line.cell_len + len(self.gap) + field.cell_len > width:
                lines.append(line)
                line = Text()
            if line.cell_len:
                line.append(self.gap)
            line.append_text(field)
        lines.append(line)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        """One Text per line; Rich folds a field wider than the whole line."""
        yield from self.lines(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        """Narrowest: the widest field; widest: everything on one line."""
        widest = max((field.cell_len for field in self.fields), default=0)
        total = sum(field.cell_len for field in self.fields)
        total += len(self.gap) * max(len(self.fields) - 1, 0)
        return Measurement(min(widest, options.max_width), min(total, options.max_width))

    def __str__(self) -> str:
        return self.gap.join(field.plain for field in self.fields)
