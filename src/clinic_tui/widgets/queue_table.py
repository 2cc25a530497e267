"""The queue as a table: one row per registration, fitted to the terminal's width.

Colour is never the only signal: priority carries a text marker and a word,
finished rows are dimmed AND say so in the Status column, unsynced rows carry
a `*`. Widths are measured in terminal cells, so Chinese names line up.
"""

from __future__ import annotations

from datetime import date, datetime

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from clinic_tui.domain.ages import format_age, format_wait
from clinic_tui.domain.models import Gender, Priority, QueueEntry, QueueStatus
from clinic_tui.i18n import add_translations, language, tr

add_translations(
    {
        "EMERG": "急诊",
        "URGENT": "紧急",
        "routine": "普通",
        "In consult": "就诊中",
        "Unsynced change": "未同步",
    }
)

UNSYNCED_MARK = "*"
"""Shown on a row whose record (or its patient) has a change not yet uploaded."""

_PRIORITY_WORD = {
    Priority.EMERGENCY: "EMERG",
    Priority.URGENT: "URGENT",
    Priority.ROUTINE: "routine",
}
_PRIORITY_STYLE = {
    Priority.EMERGENCY: "bold red",
    Priority.URGENT: "bold dark_orange",
    Priority.ROUTINE: "",
}
_STATUS_LABEL = {
    QueueStatus.WAITING: "Waiting",
    QueueStatus.IN_CONSULTATION: "In consult",
    QueueStatus.DONE: "Done",
    QueueStatus.LEFT: "Left",
}
_SEX = {Gender.MALE: "M", Gender.FEMALE: "F", Gender.OTHER: "O", Gender.UNKNOWN: "?"}
_SEX_ZH = {Gender.MALE: "男", Gender.FEMALE: "女", Gender.OTHER: "其他", Gender.UNKNOWN: "?"}

# (key, English header, width in cells); the chief complaint takes what is left.
_FIXED_COLUMNS = (
    ("mark", "", 1),
    ("number", "No.", 3),
    ("name", "Name", 10),
    ("sex_age", "Sex/Age", 7),
    ("complaint", "Chief complaint", 0),
    ("priority", "Priority", 9),
    ("status", "Status", 10),
    ("wait", "Wait", 5),
)
_MIN_COMPLAINT = 8
_ROOMY_COMPLAINT = 24
"""Complaint width reached before names and statuses are widened."""
_GROWTH = {"name": 10, "status": 6}
"""Extra cells a name or status column may take on a wide terminal."""
_SCROLLBAR = 2


def fit(text: str, width: int) -> str:
    """`text` cut to `width` terminal cells, ending in an ellipsis when cut."""
    if cell_len(text) <= width:
        return text
    kept = ""
    for char in text:
        if cell_len(kept + char) > width - 1:
            break
        kept += char
    return kept + "…"


def sex_age(entry: QueueEntry, today: date) -> str:
    """'F 34y' (or '女 34岁' in Chinese)."""
    age = format_age(entry.birth_date, today)
    if language() == "zh":
        return f"{_SEX_ZH[entry.gender]} {age.replace('y', '岁').replace('m', '月')}"
    return f"{_SEX[entry.gender]} {age}"


def priority_cell(priority: Priority) -> Text:
    """Marker, word and colour: '!!! EMERG' in bold red."""
    return Text(
        f"{priority.marker} {tr(_PRIORITY_WORD[priority])}", style=_PRIORITY_STYLE[priority]
    )


def wait_text(entry: QueueEntry, now: datetime) -> str:
    """Live wait while waiting; the wait as it ended once called or gone; '—' when unknown."""
    if entry.status is QueueStatus.WAITING:
        return format_wait(entry.arrived_at, now)
    if entry.waited_until is not None:
        return format_wait(entry.arrived_at, entry.waited_until)
    return "—"


class QueueTable(DataTable[Text]):
    """Today's queue; the screen hands it entries, it never reads the cache itself."""

    BINDINGS = [
        # The screen opens the chart on RowSelected; this only names Enter in the footer.
        Binding("enter", "select_cursor", tr("Chart")),
        Binding("j", "cursor_down", tr("Down"), show=False),
        Binding("k", "cursor_up", tr("Up"), show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.entries: list[QueueEntry] = []
        """The rows on display, in order."""
        self._now: datetime | None = None
        self._complaint_width = 0
        self._sizes: dict[str, int] = {}

    @staticmethod
    def _width(header: str, width: int) -> int:
        """A fixed column's width: wide enough for its header in the current language."""
        return max(width, cell_len(tr(header))) if width else 0

    def _layout(self, width: int) -> dict[str, int]:
        """Column widths for a table `width` cells wide.

        At 80 columns every fixed column has its minimum and the complaint the rest. Wider
        terminals first let long names and statuses show whole (up to _GROWTH more cells
        each), then give everything else to the chief complaint.
        """
        sizes = {key: self._width(header, size) for key, header, size in _FIXED_COLUMNS}
        padding = 2 * self.cell_padding * len(_FIXED_COLUMNS)
        spare = width - sum(sizes.values()) - padding - _SCROLLBAR - _ROOMY_COMPLAINT
        for key in ("name", "status"):
            growth = max(0, min(_GROWTH[key], spare // 2))
            sizes[key] += growth
            spare -= growth
        fixed = sum(size for key, size in sizes.items() if key != "complaint")
        sizes["complaint"] = max(_MIN_COMPLAINT, width - fixed - padding - _SCROLLBAR)
        return sizes

    def _complaint_width_for(self, width: int) -> int:
        return self._layout(width)["complaint"]

    def on_resize(self) -> None:
        """Give the chief complaint whatever width the other columns leave."""
        if self._complaint_width_for(self.size.width) != self._complaint_width and self._now:
            self.show(self.entries, self._now)

    @property
    def selected(self) -> QueueEntry | None:
        """The entry under the cursor, if any."""
        if not self.entries or not 0 <= self.cursor_row < len(self.entries):
            return None
        return self.entries[self.cursor_row]

    def show(self, entries: list[QueueEntry], now: datetime, keep: str | None = None) -> None:
        """Display `entries`, keeping the cursor on encounter `keep` (else on the same one)."""
        keep = keep or (self.selected.encounter_id if self.selected else None)
        previous_row = self.cursor_row
        self.entries = list(entries)
        self._now = now
        self._sizes = self._layout(self.size.width or 80)
        self._complaint_width = self._sizes["complaint"]
        self.clear(columns=True)
        for key, header, _ in _FIXED_COLUMNS:
            size = self._sizes[key]
            self.add_column(Text(fit(tr(header), size)), width=size, key=key)
        for entry in self.entries:
            self.add_row(*self._cells(entry, now), key=entry.encounter_id)
        if not self.entries:
            return
        rows = [entry.encounter_id for entry in self.entries]
        target = rows.index(keep) if keep in rows else min(previous_row, len(rows) - 1)
        self.move_cursor(row=max(target, 0), animate=False, scroll=True)

    def tick(self, now: datetime) -> None:
        """Bring the waiting times up to `now` (only waiting rows change)."""
        self._now = now
        for entry in self.entries:
            if entry.status is QueueStatus.WAITING:
                self.update_cell(entry.encounter_id, "wait", Text(wait_text(entry, now)))

    def _cells(self, entry: QueueEntry, now: datetime) -> list[Text]:
        finished = entry.status in (QueueStatus.DONE, QueueStatus.LEFT)
        dim = "dim" if finished else ""
        status_style = "bold" if entry.status is QueueStatus.IN_CONSULTATION else dim
        return [
            Text(UNSYNCED_MARK if entry.pending else " ", style="bold"),
            Text(f"{entry.number:>3}", style=dim),
            Text(fit(entry.patient_name, self._sizes["name"]), style=dim),
            Text(sex_age(entry, now.date()), style=dim),
            Text(fit(entry.chief_complaint, self._complaint_width), style=dim),
            priority_cell(entry.priority)
            if not finished
            else Text(
                fit(f"{entry.priority.marker} {tr(_PRIORITY_WORD[entry.priority])}", 9), style=dim
            ),
            Text(fit(tr(_STATUS_LABEL[entry.status]), self._sizes["status"]), style=status_style),
            Text(wait_text(entry, now), style=dim),
        ]
