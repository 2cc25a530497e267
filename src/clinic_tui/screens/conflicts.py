"""Conflicts: records changed here and on the server in the same place, waiting for a person.

The list is on top; beneath it, each disputed field of the selected record with
the three versions side by side (mine, the server's, and the version both
started from). One key decides: keep mine (m), keep theirs (t), or edit (e) the
merged record by hand. A record deleted on one side and changed on the other has
no fields to compare: a line says what happened and what m and t do (edit is off).
The store is read and written in a worker thread; after each decision the list is read again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from clinic_tui.domain.fhir import concept_text, encounter_columns, human_name
from clinic_tui.domain.merge import Conflict, merge_keeping_mine
from clinic_tui.i18n import add_translations, tr
from clinic_tui.messages import CacheChanged, SyncCounts
from clinic_tui.screens.conflict_editor import ConflictEditor, Resource
from clinic_tui.widgets.sync_badge import CONFLICT_MARKER

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

add_translations(
    {
        "Conflicts": "冲突",
        "waiting": "待处理",
        "Record": "记录",
        "Fields": "字段数",
        "Found": "发现时间",
        "Field": "字段",
        "Mine": "本机",
        "Theirs (server)": "服务器",
        "Base": "原版本",
        "(absent)": "（无）",
        "Keep mine": "保留本机",
        "Keep theirs": "采用服务器",
        "Edit": "编辑",
        "Kept mine": "已保留本机版本",
        "Kept theirs": "已采用服务器版本",
        "Saved the edited record": "已保存编辑后的记录",
        "No conflicts: every change reached the server or merged by itself": (
            "没有冲突：所有更改均已同步或自动合并"
        ),
        "Reading conflicts…": "正在读取冲突…",
        "Could not": "操作失败",
        "Patient": "患者",
        "Encounter": "就诊",
        "AllergyIntolerance": "过敏",
        "Condition": "诊断",
        "Observation": "观察",
        "MedicationRequest": "医嘱",
        "deleted": "已删除",
        "Deleted on the server; you changed it here.": "服务器上已删除；本机做过修改。",
        "You deleted it here; the server changed it": "本机已删除；服务器上做过修改",
        "version": "版本",
        "m: keep mine (create it again on the server)": "m：保留本机（在服务器上重新创建）",
        "t: accept the deletion (remove it here)": "t：接受删除（从本机移除）",
        "m: keep mine (delete it on the server too)": "m：保留本机（在服务器上也删除）",
        "t: keep theirs (restore the server's version here)": (
            "t：采用服务器（在本机恢复服务器版本）"
        ),
        "Accepted the deletion": "已接受删除",
        "Kept mine: it will be created again on the server": "已保留本机：将在服务器上重新创建",
        "Kept the deletion: it will be deleted on the server": "已保留删除：将在服务器上删除",
        "Restored the server's version": "已恢复服务器版本",
    }
)

Choice = Literal["mine", "theirs", "edited"]
_DONE = {"mine": "Kept mine", "theirs": "Kept theirs", "edited": "Saved the edited record"}
_DONE_DELETED = {
    ("deleted-on-server", "mine"): "Kept mine: it will be created again on the server",
    ("deleted-on-server", "theirs"): "Accepted the deletion",
    ("deleted-here", "mine"): "Kept the deletion: it will be deleted on the server",
    ("deleted-here", "theirs"): "Restored the server's version",
}


def done_notice(kind: str, choice: str) -> str:
    """What a decision did, in the words of its conflict's kind."""
    return tr(_DONE_DELETED.get((kind, choice), _DONE[choice]))


def deletion_text(conflict: Conflict) -> Text:
    """What happened to a deleted record, and what m and t do with it."""
    if conflict.kind == "deleted-on-server":
        lines = [
            tr("Deleted on the server; you changed it here."),
            tr("m: keep mine (create it again on the server)"),
            tr("t: accept the deletion (remove it here)"),
        ]
    else:
        version = ((conflict.remote or {}).get("meta") or {}).get("versionId")
        said = tr("You deleted it here; the server changed it")
        lines = [
            f"{said} ({tr('version')} {version})." if version else f"{said}.",
            tr("m: keep mine (delete it on the server too)"),
            tr("t: keep theirs (restore the server's version here)"),
        ]
    return Text.assemble((lines[0], "bold"), "\n", "\n".join(lines[1:]))


def shown(value: Any) -> str:
    """A field value as a clinician reads it: text as is, anything else as compact JSON."""
    if value is None:
        return tr("(absent)")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def found_at(stamp: str, zone: tzinfo | None = None) -> str:
    """When a conflict was found, in the clinic's time zone (the machine's by default)."""
    try:
        return f"{datetime.fromisoformat(stamp).astimezone(zone):%Y-%m-%d %H:%M}"
    except ValueError:
        return stamp


def record_label(conflict: Conflict) -> str:
    """'Patient 王小明', 'Encounter 2026-11-24 发热咳嗽3天': what the record is, in words.

    Falls back to the id when the resource carries nothing a clinician would recognise.
    """
    resource = conflict.local
    words: list[str] = []
    if conflict.resource_type == "Patient":
        words.append(human_name(resource)[0])
    elif conflict.resource_type == "Encounter":
        columns = encounter_columns(resource)
        words += [columns["queue_date"] or "", columns["chief_complaint"]]
    else:
        for element in ("code", "medicationCodeableConcept"):
            words.append(concept_text(resource.get(element)) or "")
    label = " ".join(word for word in words if word) or conflict.resource_id
    return f"{tr(conflict.resource_type)} {label}"


def fields_table(conflict: Conflict) -> Table:
    """Each disputed field with mine, theirs and base side by side (wide characters aligned)."""
    table = Table(expand=True, show_lines=True, pad_edge=False, header_style="bold")
    table.add_column(tr("Field"), ratio=2, overflow="fold")
    table.add_column(tr("Mine"), ratio=3, overflow="fold")
    table.add_column(tr("Theirs (server)"), ratio=3, overflow="fold")
    table.add_column(tr("Base"), ratio=3, overflow="fold")
    for field in conflict.fields:
        table.add_row(
            field.path,
            Text(shown(field.local), style="bold"),
            Text(shown(field.remote), style="bold"),
            Text(shown(field.base), style="dim"),
        )
    return table


class ConflictsScreen(Screen[None]):
    """Every open conflict, and for the selected one its fields side by side and three choices."""

    CSS_PATH = Path(__file__).with_name("conflicts.tcss")
    BINDINGS = [
        Binding("m", "keep_mine", tr("Keep mine")),
        Binding("t", "keep_theirs", tr("Keep theirs")),
        Binding("e", "edit", tr("Edit")),
        Binding("escape", "back", tr("Back")),
    ]

    def __init__(self, cache: ClinicCache, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.cache = cache
        self.clock = clock
        """The app's clock; its time zone is the one times are shown in."""
        self.conflicts: list[Conflict] = []
        """The conflicts as last read."""

    def compose(self) -> ComposeResult:
        """Title, the list, the selected conflict's fields, a message line, the footer."""
        yield Static(id="conflicts-title")
        table: DataTable[str | Text] = DataTable(id="conflicts-list", cursor_type="row")
        table.add_column(tr("Record"), key="record")
        table.add_column(tr("Fields"), key="fields")
        table.add_column(tr("Found"), key="found")
        yield table
        with VerticalScroll(id="conflict-detail", can_focus=False):
            yield Static(id="conflict-fields")
        yield Static(tr("Reading conflicts…"), id="conflicts-message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Read the conflicts."""
        self._show_title()
        self.query_one(DataTable).focus()
        self.reload()

    def on_cache_changed(self, _message: CacheChanged) -> None:
        """A sync may have found new conflicts or settled some: read the list again."""
        self.reload()

    @property
    def selected(self) -> Conflict | None:
        """The conflict under the cursor."""
        table = self.query_one(DataTable)
        if not self.conflicts or table.cursor_row < 0:
            return None
        return self.conflicts[min(table.cursor_row, len(self.conflicts) - 1)]

    # ----- reading and deciding, in a worker --------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="conflicts")
    def reload(
        self, decision: tuple[int, Choice, Resource | None] | None = None
    ) -> tuple[list[Conflict], str | None, bool]:
        """Apply `decision` (if any), then read every conflict: (conflicts, notice, failed)."""
        from clinic_tui.offline_cache.conflicts import ConflictStore

        store = ConflictStore(self.cache.engine)
        notice, failed = None, False
        if decision is not None:
            conflict_id, choice, edited = decision
            try:
                kind = store.get(conflict_id).kind
                store.resolve(conflict_id, choice, edited)
                notice = done_notice(kind, choice)
            except Exception as error:  # shown on the screen; the list is read again regardless
                notice, failed = f"! {tr('Could not')}: {error}", True
        conflicts = store.list()
        self.app.post_message(
            SyncCounts(pending=self.cache.pending_changes(), conflicts=len(conflicts))
        )
        return conflicts, notice, failed

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show what the worker read, or why it failed (the screen stays usable)."""
        if event.worker.group != "conflicts":
            return
        if event.state is WorkerState.SUCCESS and isinstance(event.worker.result, tuple):
            conflicts, notice, failed = event.worker.result
            self.show(conflicts, notice, failed=failed)
        elif event.state is WorkerState.ERROR:
            self._message(f"! {tr('Could not')}: {event.worker.error}", error=True)

    def show(
        self, conflicts: list[Conflict], notice: str | None = None, *, failed: bool = False
    ) -> None:
        """Fill the list, keep the cursor in place, show the selected conflict's fields."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        self.conflicts = conflicts
        table.clear()
        zone = self.clock().tzinfo if self.clock is not None else None
        for conflict in conflicts:
            table.add_row(
                record_label(conflict),
                str(len(conflict.fields)) if conflict.kind == "edit-edit" else tr("deleted"),
                found_at(conflict.created_at, zone),
                key=str(conflict.id),
            )
        if conflicts:
            table.move_cursor(row=max(0, min(row, len(conflicts) - 1)))
        self._show_title()
        self._show_selected()
        parts = [notice] if notice else []
        if not conflicts:
            parts.append(tr("No conflicts: every change reached the server or merged by itself"))
        self._message(" · ".join(parts), error=failed)

    def _show_title(self) -> None:
        title = Text.assemble(
            (tr("Conflicts"), "bold"),
            # The alarm marker only when something waits: "!! 0" would cry wolf.
            f" · {CONFLICT_MARKER + ' ' if self.conflicts else ''}{len(self.conflicts)} ",
            tr("waiting"),
        )
        self.query_one("#conflicts-title", Static).update(title)

    def _show_selected(self) -> None:
        conflict = self.selected
        fields = self.query_one("#conflict-fields", Static)
        if conflict is None:
            fields.update("")
        elif conflict.kind == "edit-edit":
            fields.update(fields_table(conflict))
        else:
            fields.update(deletion_text(conflict))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Edit only where there are fields to edit: not for a record deleted on one side."""
        if action == "edit":
            conflict = self.selected
            return conflict is None or conflict.kind == "edit-edit"
        return True

    def _message(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#conflicts-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        """Moving through the list shows each conflict's fields."""
        self._show_selected()

    # ----- actions ---------------------------------------------------------------------------

    def _decide(self, choice: Choice, edited: Resource | None = None) -> None:
        conflict = self.selected
        if conflict is not None:
            self.reload((conflict.id, choice, edited))

    def action_keep_mine(self) -> None:
        """Keep this workstation's values at every disputed field (other changes still merge)."""
        self._decide("mine")

    def action_keep_theirs(self) -> None:
        """Take the server's version and drop the local change."""
        self._decide("theirs")

    def action_edit(self) -> None:
        """Edit the merged record by hand (mine at disputed fields to start from)."""
        conflict = self.selected
        if conflict is None or conflict.remote is None or conflict.kind != "edit-edit":
            return
        merged = merge_keeping_mine(conflict.base, conflict.local, conflict.remote)
        conflict_id = conflict.id

        def saved(resource: Resource | None) -> None:
            if resource is not None:
                self.reload((conflict_id, "edited", resource))

        self.app.push_screen(ConflictEditor(merged, record_label(conflict)), saved)

    def action_back(self) -> None:
        """Back to the queue."""
        self.dismiss(None)
