"""The triage inbox as a table: one row per referral, most urgent and longest waiting first.

Colour is never the only signal: urgency carries `!` markers and a word, an SLA
breach says `⚠ 3h over`, a row marked for a bulk action shows `+`, an
unsynced one `*`, the selected one `▶`, one whose thread holds messages not yet
seen `✉2` before the name. The table holds a window of the
filtered rows (WINDOW at a time, more as the cursor nears the end), so a filter
keystroke over thousands of referrals redraws a page, not the whole inbox.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from rich.cells import cell_len
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._types import SegmentLines
from textual.binding import Binding
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.renderables.styled import Styled
from textual.widgets.data_table import RowKey

from clinic_tui.i18n import N_, language, tr
from clinic_tui.referral.fhir_shapes import PRIORITIES, PRIORITY_MARKERS
from clinic_tui.referral.inbox import InboxRow
from clinic_tui.widgets.data_text import data_text
from clinic_tui.widgets.queue_table import UNSYNCED_MARK, fit
from clinic_tui.widgets.row_table import RowTable
from clinic_tui.widgets.units import age_text, span_text
from clinic_tui.widgets.unread_mark import unread_short

BULK_MARK = "+"
"""Shown on a row marked (space) for a bulk accept or decline."""
SLA_MARK = "⚠"

URGENCY_MARKER = PRIORITY_MARKERS
"""The referral screens' markers: !!! stat, !! asap and urgent (the words tell those apart)."""
URGENCY_WORD = {code: words[0] for code, words in PRIORITIES.items()}
"""The chart's and the referral form's word for each priority: one word per priority."""
_URGENCY_STYLE = {"stat": "bold red", "asap": "bold red", "urgent": "bold dark_orange"}
STATUS_WORD = {
    "requested": N_("Requested"),
    "received": N_("Received"),
    "accepted": N_("Accepted"),
    "rejected": N_("Declined"),
    "in-progress": N_("In progress"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
_CLOSED = frozenset({"completed", "rejected", "cancelled"})
_SEX = {"male": "M", "female": "F", "other": "O"}
_SEX_ZH = {"male": "男", "female": "女", "other": "其他"}

WINDOW = 60
"""Rows put in the table at a time; the next window comes as the cursor nears the end."""

# (key, English header, least width); name and reason take what is left. "from" and "reason"
# show only from WIDE columns up: at 80 the preview pane says them.
_COLUMNS = (
    ("mark", "", 3),
    ("urgency", "Urgency", 8),
    ("name", "Patient", 6),
    ("sex_age", "Sex/Age", 7),
    ("from", "Referred from", 12),
    # "Dept.": 'Department' would take two more cells than the names (4 Chinese characters).
    ("department", N_("Dept."), 8),
    ("reason", "Reason", 0),
    ("status", "Status", 11),
    ("wait", N_("Wait"), 6),
    ("sla", N_("SLA"), 10),
)
WIDE = 110
"""Terminal columns from which the table also shows the referring clinic and the reason."""
_SCROLLBAR = 2
WHOLE_DAYS_FROM = timedelta(days=10)
"""A wait this long or longer is shown in whole days ('24d')."""


def urgency_text(urgency: str) -> Text:
    """Marker, word and colour: '!!! STAT' in bold red."""
    marker = URGENCY_MARKER.get(urgency, "")
    word = tr(URGENCY_WORD.get(urgency, urgency))
    # An urgency code we do not know is the server's word: drawn as data.
    return data_text(f"{marker} {word}".strip(), _URGENCY_STYLE.get(urgency, ""), limit=20)


def status_text(status: str) -> str:
    """The Task status in the clinician's words."""
    return tr(STATUS_WORD.get(status, status))


def sex_age_text(row: InboxRow, now: datetime) -> str:
    """'F 67y' / '女 67岁'."""
    sex = (_SEX_ZH if language() == "zh" else _SEX).get(row.gender, "?")
    return f"{sex} {age_text(row.birth_date, now.date())}"


def compact_span(delta: timedelta, *, rounded: bool = False) -> str:
    """A span as every screen writes a wait ('45 min', '20h44', '3d 4h'); `rounded`: '20h'."""
    return span_text(delta, whole_hours=rounded)


def wait_cell(row: InboxRow, now: datetime) -> str:
    """How long the referral has waited ('—' when its date is unknown)."""
    waited = row.waiting(now)
    if waited is None:
        return "—"
    # From ten days the hours are noise, and '24d 12h' would not fit the column at 80
    # columns (it was cut to '24d 12'): whole days, as the SLA mark counts them.
    return compact_span(waited, rounded=waited >= WHOLE_DAYS_FROM)


def sla_cell(row: InboxRow, now: datetime, limit: timedelta) -> Text:
    """'⚠ 3h over' ('⚠ 超时3小时') in bold red when past the limit, else nothing."""
    over = row.sla_over(now, limit)
    if over is None:
        return Text("")
    return Text(_sla_words(over), style="bold red")


def _sla_words(over: timedelta) -> str:
    span = compact_span(over, rounded=True)
    words = f"超时{span}" if language() == "zh" else f"{span} {tr('over')}"
    return f"{SLA_MARK} {words}"


class InboxTable(RowTable):
    """The referrals of the inbox; the screen hands it rows, it never reads the cache itself."""

    BINDINGS = [
        Binding("j", "cursor_down", tr("Down"), show=False),
        Binding("k", "cursor_up", tr("Up"), show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=True)
        self.rows_shown: list[InboxRow] = []
        """Every row that passes the filter, in order (the table holds a window of them)."""
        self.marked: set[str] = set()
        """Task ids marked with space for a bulk action."""
        self._loaded = 0
        self._loading = False
        self._now = datetime.now().astimezone()
        self._limit = timedelta(hours=4)
        self._keys: tuple[str, ...] = ()
        self._sizes: dict[str, int] = {}
        self._by_id: dict[str, InboxRow] = {}
        self._drawn: LRUCache[Hashable, SegmentLines] = LRUCache(4000)
        """Cells as drawn, by their words and styles, not by position: see _render_cell."""
        self._placed: LRUCache[tuple[Style | None, int, int], Style] = LRUCache(20000)

    @property
    def selected(self) -> InboxRow | None:
        """The referral under the cursor."""
        if not 0 <= self.cursor_row < min(self._loaded, len(self.rows_shown)):
            return None
        return self.rows_shown[self.cursor_row]

    def _layout(self, width: int) -> dict[str, int]:
        keys = [key for key, _, _ in _COLUMNS if width >= WIDE or key not in ("from", "reason")]
        sizes = {key: max(size, cell_len(tr(header))) for key, header, size in _COLUMNS}
        # Every urgency whole, marker and word ('!! URGENT'), in the language in force.
        words = max(cell_len(urgency_text(code).plain) for code in URGENCY_WORD)
        sizes["urgency"] = max(sizes["urgency"], words)
        # The widest wait and SLA mark the shared format writes in this language (from ten
        # days a wait is whole days: see wait_cell).
        longest = (timedelta(hours=23, minutes=59), timedelta(days=9, hours=23))
        sizes["wait"] = max(sizes["wait"], *(cell_len(compact_span(span)) for span in longest))
        sizes["sla"] = max(sizes["sla"], *(cell_len(_sla_words(span)) for span in longest))
        sizes["reason"] = 0
        padding = 2 * self.cell_padding * len(keys)
        room = width - padding - _SCROLLBAR
        fixed = sum(sizes[key] for key in keys if key not in ("name", "reason"))
        if "reason" in keys:
            sizes["name"] = max(sizes["name"], 10)
            sizes["reason"] = max(8, room - fixed - sizes["name"])
        else:
            sizes["name"] = max(sizes["name"], room - fixed)
        self._keys = tuple(keys)
        return {key: sizes[key] for key in keys}

    def show(
        self,
        rows: list[InboxRow],
        now: datetime,
        limit: timedelta,
        keep: str | None = None,
        fallback: str | None = None,
    ) -> None:
        """Display `rows` (already filtered and sorted), keeping the cursor on task `keep`,
        else on task `fallback` when `keep` is no longer among them."""
        keep = keep or (self.selected.task_id if self.selected else None)
        sizes = self._layout(self.size.width or 80)
        # The loaded rows would come back the same (a keystroke that changed nothing on
        # screen): clearing and refilling would only redraw the whole table for nothing.
        unchanged = self._shows_already(rows, now, limit, sizes)
        self.rows_shown = rows
        self._by_id = {row.task_id: row for row in rows}
        if keep not in self._by_id and fallback in self._by_id:
            keep = fallback  # the referral acted on left the view: the one after it
        self._now, self._limit = now, limit
        if not unchanged:
            # Clearing moves the cursor, and the cursor's watcher loads rows: not until we do.
            self._loading = True
            try:
                if sizes != self._sizes:
                    self._sizes = sizes
                    self.clear(columns=True)
                    headers = {key: header for key, header, _ in _COLUMNS}
                    for key in self._keys:
                        header = Text(fit(tr(headers[key]), sizes[key]))
                        self.add_column(header, width=sizes[key], key=key)
                else:
                    self.clear()
                self._loaded = 0
            finally:
                self._loading = False
        target = 0
        if keep is not None and keep in self._by_id:
            target = next(i for i, row in enumerate(rows) if row.task_id == keep)
        self._load_to(max(target + 1, WINDOW))
        if self._loaded and (not unchanged or target != self.cursor_row):
            self.move_cursor(row=min(target, self._loaded - 1), animate=False, scroll=True)
            self.refresh_marker()

    def _shows_already(
        self, rows: list[InboxRow], now: datetime, limit: timedelta, sizes: dict[str, int]
    ) -> bool:
        """The table's loaded rows are the first of `rows`, drawn at this width, minute, limit."""
        loaded = self._loaded
        return (
            loaded > 0
            and sizes == self._sizes
            and limit == self._limit
            and now.replace(second=0, microsecond=0) == self._now.replace(second=0, microsecond=0)
            and rows[:loaded] == self.rows_shown[:loaded]
        )

    def _load_to(self, count: int) -> None:
        """Add rows until `count` are in the table (or all of them are)."""
        if self._loading:
            return  # adding a row moves the cursor, whose watcher would load the same rows
        self._loading = True
        try:
            for row in self.rows_shown[self._loaded : min(count, len(self.rows_shown))]:
                self.add_row(*self._cells(row), key=row.task_id)
                self._loaded += 1
        finally:
            self._loading = False

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        """Near the end of the window, bring in the next one."""
        if self._loading and old == new:
            # Each added row re-sets the cursor where it was. Putting the marker on again
            # looked the row up in DataTable.ordered_rows, rebuilt after every added row:
            # a quarter of a filter keystroke. show() marks the cursor's row once all are in.
            return
        super().watch_cursor_coordinate(old, new)
        if new.row >= self._loaded - 5 and self._loaded < len(self.rows_shown):
            self._load_to(self._loaded + WINDOW)

    def action_scroll_bottom(self) -> None:
        """End: the last referral (every window loaded first)."""
        self._load_to(len(self.rows_shown))
        super().action_scroll_bottom()

    def on_resize(self) -> None:
        """Fit the columns to the new width."""
        if self._layout(self.size.width) != self._sizes:
            self.show(self.rows_shown, self._now, self._limit)

    def mark_text(self, row_key: str, selected: bool) -> Text:
        """Cursor marker, bulk mark, unsynced mark."""
        text = super().mark_text(row_key, selected)
        text.append(BULK_MARK if row_key in self.marked else " ", style="bold reverse")
        row = self._by_id.get(row_key)
        text.append(UNSYNCED_MARK if row is not None and row.pending else " ", style="bold")
        return text

    def toggle_mark(self) -> None:
        """Mark or unmark the referral under the cursor for a bulk action, then move down."""
        row = self.selected
        if row is None:
            return
        self.marked.symmetric_difference_update({row.task_id})
        self.update_cell(row.task_id, "mark", self.mark_text(row.task_id, True))
        self.action_cursor_down()

    def tick(self, now: datetime) -> None:
        """Bring waits and SLA timers up to `now` on the loaded rows."""
        self._now = now
        for row in self.rows_shown[: self._loaded]:
            if row.status not in _CLOSED:
                self.update_cell(row.task_id, "wait", Text(wait_cell(row, now)))
                self.update_cell(row.task_id, "sla", sla_cell(row, now, self._limit))

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Size the table without measuring each new cell.

        DataTable measures every cell of every added row (for columns that fit their
        content and rows that grow to it): a third of a filter keystroke over 60 rows.
        Here every column has a set width and every row one line, so only the size is left.
        """
        if any(column.auto_width for column in self.columns.values()):
            super()._update_dimensions(new_rows)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(
            width + self._row_label_column_width, self._total_row_height + header
        )

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        """Draw a cell, reusing its drawing from an earlier keystroke when it looks the same.

        DataTable keys its drawings on the table's update count, so every filter keystroke
        (a clear and new rows) drew each visible cell anew through Rich, two thirds of the
        keystroke. A referral that stays on screen, or comes back on a backspace, looks the
        same: it is drawn once, by its words, styles, width and highlight, and only the row
        and column it sits at (the mouse's metadata) is put on afresh.
        """
        if row_index < max(0, self.fixed_rows) or column_index < max(0, self.fixed_columns):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        value = (
            self._data[row_key][column_key]
            if row_key is not None and column_key is not None
            else None
        )
        if not isinstance(value, Text) or row_key is None or self.rows[row_key].height != 1:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key = (
            value.plain,
            value.style,
            tuple(value.spans),
            value.justify,
            value.overflow,
            base_style,
            width,
            cursor,
            hover,
            self._show_hover_cursor,
            self.show_cursor,
            self._pseudo_class_state,
            self.cursor_foreground_priority,
            self.cursor_background_priority,
        )
        lines = self._drawn.get(key)
        if lines is None:
            component_style, post_style = self._get_styles_to_render_cell(
                False,
                False,
                False,
                hover,
                cursor,
                self.show_cursor,
                self._show_hover_cursor,
                self.cursor_foreground_priority == "css",
                self.cursor_background_priority == "css",
            )
            cell = self._get_row_renderables(row_index).cells[column_index]
            options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
            lines = self.app.console.render_lines(
                Styled(
                    Padding(cell, (0, self.cell_padding)),
                    pre_style=base_style + component_style,
                    post_style=post_style,
                ),
                options,
            )
            self._drawn[key] = lines
        placed = self._placed
        drawn: SegmentLines = []
        for line in lines:
            segments = []
            for text, style, control in line:
                if not control:
                    # Adding a metadata Style marshals its dict: done once per style and place.
                    at = (style, row_index, column_index)
                    with_meta = placed.get(at)
                    if with_meta is None:
                        meta = Style.from_meta({"row": row_index, "column": column_index})
                        with_meta = placed[at] = style + meta if style else meta
                    style = with_meta
                segments.append(Segment(text, style, control))
            drawn.append(segments)
        return drawn

    def notify_style_update(self) -> None:
        """A theme or CSS change redraws every cell."""
        super().notify_style_update()
        self._drawn.clear()
        self._placed.clear()

    @staticmethod
    def _name_cell(row: InboxRow, width: int, style: str) -> Text:
        """The name, after '✉2 ' when the thread holds messages not seen yet."""
        if not row.unread:
            return Text(fit(row.patient_name, width), style=style)
        mark = unread_short(row.unread)
        mark.append(" ")
        return Text.assemble(mark, (fit(row.patient_name, width - mark.cell_len), style))

    def seen(self, task_id: str) -> InboxRow | None:
        """The thread of `task_id` was read: its row loses the unread mark (the row, or None)."""
        row = self._by_id.get(task_id)
        if row is None or not row.unread:
            return row
        row = replace(row, unread=0)
        self._by_id[task_id] = row
        self.rows_shown = [row if r.task_id == task_id else r for r in self.rows_shown]
        if task_id in self.rows:
            dim = "dim" if row.status in _CLOSED else ""
            self.update_cell(task_id, "name", self._name_cell(row, self._sizes["name"], dim))
        return row

    def _cells(self, row: InboxRow) -> list[Text]:
        now, sizes = self._now, self._sizes
        dim = "dim" if row.status in _CLOSED else ""
        cells = {
            "mark": self.mark_text(row.task_id, False),
            "urgency": urgency_text(row.urgency),
            "name": self._name_cell(row, sizes["name"], dim),
            "sex_age": Text(sex_age_text(row, now), style=dim),
            "from": Text(fit(row.from_name, sizes.get("from", 0)), style=dim),
            "department": Text(fit(row.department or "—", sizes["department"]), style=dim),
            "reason": Text(fit(row.reason, sizes.get("reason", 0)), style=dim),
            "status": Text(fit(status_text(row.status), sizes["status"]), style=dim),
            "wait": Text(wait_cell(row, now), style=dim),
            "sla": sla_cell(row, now, self._limit),
        }
        return [cells[key] for key in self._keys]
