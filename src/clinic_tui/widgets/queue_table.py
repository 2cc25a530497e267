"""The queue as a table: one row per registration, fitted to the terminal's width.

Colour is never the only signal: priority carries a text marker and a word,
finished rows are dimmed AND say so in the Status column, unsynced rows carry
a `*`, the selected row a `▶`. Widths are measured in terminal cells, so
Chinese names line up; names get the width they need before the chief
complaint takes the rest.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding

from clinic_tui.domain.models import Gender, Priority, QueueEntry, QueueStatus
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import N_, language, tr
from clinic_tui.widgets.row_table import RowTable
from clinic_tui.widgets.units import age_text
from clinic_tui.widgets.units import wait_text as wait_words

UNSYNCED_MARK = "*"
"""Shown on a row whose record (or its patient) has a change not yet uploaded."""

_PRIORITY_WORD = {
    Priority.EMERGENCY: N_("EMERG"),
    Priority.URGENT: N_("URGENT"),
    Priority.ROUTINE: N_("routine"),
}
_PRIORITY_STYLE = {
    Priority.EMERGENCY: "bold red",
    Priority.URGENT: "bold dark_orange",
    Priority.ROUTINE: "",
}
_STATUS_LABEL = {
    QueueStatus.WAITING: N_("Waiting"),
    QueueStatus.IN_CONSULTATION: N_("In consult"),
    QueueStatus.DONE: N_("Done"),
    QueueStatus.LEFT: N_("Left"),
}
_SEX = {Gender.MALE: "M", Gender.FEMALE: "F", Gender.OTHER: "O", Gender.UNKNOWN: "?"}
_SEX_ZH = {Gender.MALE: "男", Gender.FEMALE: "女", Gender.OTHER: "其他", Gender.UNKNOWN: "?"}

# (key, English header, least width in cells); name, sex/age and wait grow to what their
# values need, the chief complaint takes what is left.
_FIXED_COLUMNS = (
    ("mark", "", 2),
    ("number", N_("No."), 3),
    ("name", "Name", 6),
    ("sex_age", "Sex/Age", 6),
    ("complaint", "Chief complaint", 0),
    ("priority", "Priority", 9),
    ("status", "Status", 10),
    ("wait", N_("Wait"), 6),
)
_MIN_COMPLAINT = 8
_MIN_NAME = 8
"""A name is cut below this only when nothing else is left to take from."""
_MAX_NAME = 20
_LONGEST_WAIT_MINUTES = 599
"""The wait column is as wide as this wait written out, so it never widens as time passes."""
_SCROLLBAR = 2
_READ_FACTOR = 4
"""fit() reads this many characters per cell: combining marks take no cell of their own."""


def fit(text: str, width: int) -> str:
    """`text` (data: made safe with clean_line) cut to `width` terminal cells, ending in an
    ellipsis when cut."""
    # Only the start of a 1 MB name is read: once cleaned, controls are one-cell pictures
    # and only combining marks take no cell, so a few characters per cell are enough.
    read = (width + 1) * _READ_FACTOR
    if len(text) > read:
        text = text[:read] + "…"  # marks the cut even if what is read fits
    text = clean_line(text)
    if cell_len(text) <= width:
        return text
    kept = ""
    for char in text:
        if cell_len(kept + char) > width - 1:
            break
        kept += char
    return kept + "…"


def sex_age(entry: QueueEntry, today: date) -> str:
    """'F 34y', 'F 13mo' (or '女 34岁', '女 13月' in Chinese)."""
    sex = (_SEX_ZH if language() == "zh" else _SEX)[entry.gender]
    return f"{sex} {age_text(entry.birth_date, today)}"


def priority_cell(priority: Priority) -> Text:
    """Marker, word and colour: '!!! EMERG' in bold red."""
    return Text(
        f"{priority.marker} {tr(_PRIORITY_WORD[priority])}", style=_PRIORITY_STYLE[priority]
    )


def wait_text(entry: QueueEntry, now: datetime) -> str:
    """Live wait while waiting; the wait as it ended once called or gone; '—' when unknown."""
    if entry.status is QueueStatus.WAITING:
        return wait_words(entry.arrived_at, now)
    if entry.waited_until is not None:
        return wait_words(entry.arrived_at, entry.waited_until)
    return "—"


class QueueTable(RowTable):
    """Today's queue; the screen hands it entries, it never reads the cache itself."""

    BINDINGS = [
        # The screen opens the chart on RowSelected; this only names Enter in the footer.
        Binding("enter", "select_cursor", tr("Chart")),
        Binding("j", "cursor_down", tr("Down"), show=False),
        Binding("k", "cursor_up", tr("Up"), show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=True)
        self.entries: list[QueueEntry] = []
        """The rows on display, in order."""
        self._by_id: dict[str, QueueEntry] = {}
        self._now: datetime | None = None
        self._sizes: dict[str, int] = {}

    @staticmethod
    def _width(header: str, width: int) -> int:
        """A column's least width: wide enough for its header in the current language."""
        return max(width, cell_len(tr(header))) if width else 0

    def _needs(self, entries: list[QueueEntry], now: datetime) -> dict[str, int]:
        """What each column needs to show every value whole (the complaint: nothing)."""
        sizes = {key: self._width(header, size) for key, header, size in _FIXED_COLUMNS}
        names = [cell_len(fit(entry.patient_name, _MAX_NAME)) for entry in entries]
        sizes["name"] = max(sizes["name"], min(max(names, default=0), _MAX_NAME))
        ages = [cell_len(sex_age(entry, now.date())) for entry in entries]
        sizes["sex_age"] = max(sizes["sex_age"], *ages) if ages else sizes["sex_age"]
        longest = now - timedelta(minutes=_LONGEST_WAIT_MINUTES)
        sizes["wait"] = max(sizes["wait"], cell_len(wait_words(longest, now)))
        statuses = [cell_len(tr(_STATUS_LABEL[entry.status])) for entry in entries]
        sizes["status"] = max(cell_len(tr("Status")), *statuses) if statuses else sizes["status"]
        return sizes

    def _layout(self, width: int, entries: list[QueueEntry], now: datetime) -> dict[str, int]:
        """Column widths for a table `width` cells wide.

        Names first get what the longest needs (up to _MAX_NAME), keeping at least
        _MIN_COMPLAINT for the chief complaint; the complaint then takes everything left.
        """
        sizes = self._needs(entries, now)
        padding = 2 * self.cell_padding * len(_FIXED_COLUMNS)
        room = width - padding - _SCROLLBAR
        others = sum(size for key, size in sizes.items() if key not in ("name", "complaint"))
        sizes["name"] = max(
            min(sizes["name"], _MIN_NAME), min(sizes["name"], room - others - _MIN_COMPLAINT)
        )
        sizes["complaint"] = max(_MIN_COMPLAINT, room - others - sizes["name"])
        return sizes

    def on_resize(self) -> None:
        """Fit the columns to the new width."""
        if (
            self._now is not None
            and self._layout(self.size.width, self.entries, self._now) != self._sizes
        ):
            self.show(self.entries, self._now)

    @property
    def selected(self) -> QueueEntry | None:
        """The entry under the cursor, if any."""
        if not self.entries or not 0 <= self.cursor_row < len(self.entries):
            return None
        return self.entries[self.cursor_row]

    def mark_text(self, row_key: str, selected: bool) -> Text:
        """The cursor marker, then the unsynced mark."""
        text = super().mark_text(row_key, selected)
        entry = self._by_id.get(row_key)
        text.append(UNSYNCED_MARK if entry is not None and entry.pending else " ", style="bold")
        return text

    def show(self, entries: list[QueueEntry], now: datetime, keep: str | None = None) -> None:
        """Display `entries`, keeping the cursor on encounter `keep` (else on the same one)."""
        keep = keep or (self.selected.encounter_id if self.selected else None)
        previous_row = self.cursor_row
        same_rows = [e.encounter_id for e in entries] == [e.encounter_id for e in self.entries]
        self.entries = list(entries)
        self._by_id = {entry.encounter_id: entry for entry in self.entries}
        self._now = now
        sizes = self._layout(self.size.width or 80, self.entries, now)
        in_place = same_rows and sizes == self._sizes and self.row_count == len(self.entries)
        if in_place:
            # The same rows in the same layout (back from a chart, a sync that changed
            # nothing here): change only the cells that differ, so an unchanged queue is
            # not sent down a thin link again.
            self._update_in_place(now)
        else:
            self._sizes = sizes
            self._rebuild(now)
        if not self.entries:
            return
        rows = [entry.encounter_id for entry in self.entries]
        target = rows.index(keep) if keep in rows else min(previous_row, len(rows) - 1)
        if not in_place or target != self.cursor_row:
            self.move_cursor(row=max(target, 0), animate=False, scroll=True)
        self.refresh_marker()

    def _update_in_place(self, now: datetime) -> None:
        marked = self.cursor_row_key()
        for entry in self.entries:
            cells = self._cells(entry, now)
            key = entry.encounter_id
            cells[0] = self.mark_text(key, selected=marked is not None and marked.value == key)
            for (column, _header, _least), value in zip(_FIXED_COLUMNS, cells, strict=True):
                self.set_cell(key, column, value)

    def _rebuild(self, now: datetime) -> None:
        self.clear(columns=True)
        for key, header, _ in _FIXED_COLUMNS:
            size = self._sizes[key]
            self.add_column(Text(fit(tr(header), size)), width=size, key=key)
        for entry in self.entries:
            self.add_row(*self._cells(entry, now), key=entry.encounter_id)

    def tick(self, now: datetime) -> None:
        """Bring the waiting times up to `now`: only rows whose wait reads differently are
        redrawn (the tick comes every 30 s; a wait in minutes changes at most once a minute,
        and a redraw of the whole table is bytes down a thin link for nothing)."""
        self._now = now
        for entry in self.entries:
            if entry.status is QueueStatus.WAITING:
                self.set_cell(entry.encounter_id, "wait", Text(wait_text(entry, now)))

    def _cells(self, entry: QueueEntry, now: datetime) -> list[Text]:
        finished = entry.status in (QueueStatus.DONE, QueueStatus.LEFT)
        dim = "dim" if finished else ""
        status_style = "bold" if entry.status is QueueStatus.IN_CONSULTATION else dim
        priority = f"{entry.priority.marker} {tr(_PRIORITY_WORD[entry.priority])}"
        return [
            self.mark_text(entry.encounter_id, selected=False),
            Text(f"{entry.number:>3}", style=dim),
            Text(fit(entry.patient_name, self._sizes["name"]), style=dim),
            Text(sex_age(entry, now.date()), style=dim),
            Text(fit(entry.chief_complaint, self._sizes["complaint"]), style=dim),
            priority_cell(entry.priority) if not finished else Text(fit(priority, 9), style=dim),
            Text(fit(tr(_STATUS_LABEL[entry.status]), self._sizes["status"]), style=status_style),
            Text(wait_text(entry, now), style=dim),
        ]
