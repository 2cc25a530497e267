"""Conflicts: records changed here and on the server in the same place, waiting for a person.

The list is on top, each conflict named by its patient and what the record is;
beneath it, each disputed field of the selected record with its label and the
values as the app shows them (mine, the server's, and the version both started
from). Keys: keep mine (m) or theirs (t) at every field, or choose field by
field (e, then m / t per field and ctrl+s to save). Editing the record's raw
JSON is behind the advanced key (a). A record deleted on one side and changed on
the other has no fields to compare: a line says what happened and what m and t do.

The store is read and written in a worker thread; after each decision the list is
read again, and the message line says what is true: a kept change is queued for
the next sync, not yet on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from clinic_tui.domain.fhir import concept_text, encounter_columns, human_name, reference_id
from clinic_tui.domain.merge import Conflict, FieldConflict, Side, merge_keeping_mine
from clinic_tui.i18n import N_, ngettext, tr
from clinic_tui.messages import CacheChanged, SyncCounts
from clinic_tui.screens.conflict_editor import ConflictEditor, Resource
from clinic_tui.screens.conflict_words import field_label, record_words, value_words
from clinic_tui.widgets.data_text import data_text, name_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.row_table import RowTable
from clinic_tui.widgets.sync_badge import CONFLICT_MARKER

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache


Choice = Literal["mine", "theirs", "edited", "fields"]
_DONE = {
    "mine": N_("Kept mine: queued, it goes to the server at the next sync"),
    "theirs": N_("Kept theirs: the server's version is here, nothing to send"),
    "edited": N_("Saved: queued, it goes to the server at the next sync"),
    "fields": N_("Saved: queued, it goes to the server at the next sync"),
}
_DONE_DELETED = {
    ("deleted-on-server", "mine"): (
        N_("Kept mine: it will be created again on the server at the next sync")
    ),
    ("deleted-on-server", "theirs"): N_("Accepted the deletion"),
    ("deleted-here", "mine"): (
        N_("Kept the deletion: it will be deleted on the server at the next sync")
    ),
    ("deleted-here", "theirs"): N_("Restored the server's version"),
}
_SIDE_WORDS = {"mine": "Mine", "theirs": "Server"}


def done_notice(kind: str, choice: str) -> str:
    """What a decision did, in the words of its conflict's kind (never 'on the server' for a
    change that is only queued)."""
    return tr(_DONE_DELETED.get((kind, choice), _DONE[choice]))


def settled_notice(pending: int) -> str:
    """What the screen says when no conflict is left: queued changes are not on the server."""
    if pending:
        text = ngettext(
            "No conflicts waiting. {count} change queued: it goes to the server at the next sync",
            "No conflicts waiting. {count} changes queued: they go to the server at the next sync",
            pending,
        )
        return text.format(count=pending)
    return tr("No conflicts: every change reached the server or merged by itself")


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
    # The version is the server's word (FHIR ids are opaque): the first line is data.
    return Text.assemble(data_text(lines[0], "bold"), "\n", "\n".join(lines[1:]))


def found_at(stamp: str, zone: tzinfo | None = None) -> str:
    """When a conflict was found, in the clinic's time zone (the machine's by default)."""
    try:
        return f"{datetime.fromisoformat(stamp).astimezone(zone):%Y-%m-%d %H:%M}"
    except ValueError:
        return stamp


def record_label(conflict: Conflict, *, with_name: bool = True) -> str:
    """'Patient details 王小明', 'Visit 2026-11-24 发热咳嗽3天': what the record is, in words.

    Falls back to the id when the resource carries nothing a clinician would recognise;
    `with_name=False` leaves a patient's own name out (the list shows it beside).
    """
    resource = conflict.local
    words: list[str] = []
    if conflict.resource_type == "Patient":
        if not with_name:
            return record_words("Patient")
        words.append(human_name(resource)[0])
    elif conflict.resource_type == "Encounter":
        columns = encounter_columns(resource)
        words += [columns["queue_date"] or "", columns["chief_complaint"]]
    else:
        for element in ("code", "medicationCodeableConcept"):
            words.append(concept_text(resource.get(element)) or "")
    label = " ".join(word for word in words if word) or conflict.resource_id
    return f"{record_words(conflict.resource_type)} {label}"


def patient_of(conflict: Conflict) -> str | None:
    """The id of the patient a conflicting record belongs to."""
    if conflict.resource_type == "Patient":
        return conflict.resource_id
    for element in ("subject", "patient"):
        found = reference_id(conflict.local.get(element), "Patient")
        if found:
            return found
    return None


@dataclass(frozen=True)
class ConflictRow:
    """A conflict as the list shows it: with its patient's name."""

    conflict: Conflict
    patient_name: str


class ConflictList(RowTable):
    """The open conflicts, one per row, the selected one marked."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.add_column("", key="mark", width=1)
        self.add_column(tr("Patient"), key="patient")
        self.add_column(tr("Record"), key="record")
        self.add_column(tr("Fields"), key="fields")
        self.add_column(tr("Found"), key="found")


class FieldChoices(RowTable):
    """The disputed fields of one record, and the side chosen for each (m / t, ctrl+s saves)."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("m", "choose('mine')", tr("This field: mine")),
        Binding("t", "choose('theirs')", tr("This field: theirs")),
        Binding("ctrl+s", "save", tr("Save choices")),
        Binding("escape", "leave", tr("Back to the list")),
    ]

    class Save(Message):
        """Every field has a side: settle the conflict with these choices."""

        def __init__(self, conflict_id: int, choices: dict[str, Side]) -> None:
            super().__init__()
            self.conflict_id = conflict_id
            self.choices = choices

    class Leave(Message):
        """Back to the list of conflicts."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.conflict: Conflict | None = None
        self.choices: dict[str, Side] = {}
        """Side chosen per disputed path, for the conflict on display."""
        self.add_column("", key="mark", width=1)
        self.add_column(tr("Field"), key="field")
        self.add_column(tr("Mine"), key="mine")
        self.add_column(tr("Server"), key="theirs")
        self.add_column(tr("Base"), key="base")
        self.add_column(tr("Choice"), key="choice")

    def show(self, conflict: Conflict) -> None:
        """Display the fields of `conflict` (choices are kept while it stays the same one)."""
        if self.conflict is None or self.conflict.id != conflict.id:
            self.choices = {}
        self.conflict = conflict
        row = self.cursor_row
        self.clear()
        # Fixed widths, so long values wrap inside their rows instead of running off the screen.
        for column, width in zip(list(self.columns.values())[1:], self._widths(), strict=True):
            column.width = width
            column.auto_width = False
        for field in conflict.fields:
            self.add_row(*self._cells(conflict.resource_type, field), key=field.path, height=None)
        if conflict.fields:
            self.move_cursor(row=max(0, min(row, len(conflict.fields) - 1)))
        self.refresh_marker()

    def _widths(self) -> list[int]:
        """Field, mine, theirs, base, choice: values share what the label and choice leave."""
        room = max(40, (self.size.width or 78) - 2 * self.cell_padding * 6 - 1 - 1)
        field, choice = 12, 8
        value = max(8, (room - field - choice) // 3)
        return [field, value, value, room - field - choice - 2 * value, choice]

    def _cells(self, resource_type: str, field: FieldConflict) -> list[Any]:
        choice = self.choices.get(field.path)
        words = {
            side: value_words(resource_type, field.path, value)
            for side, value in (("mine", field.local), ("theirs", field.remote))
        }
        return [
            " ",
            Text(field_label(resource_type, field.path), style="bold"),
            # Both sides' values are data (the server's, another workstation's).
            data_text(words["mine"], "bold" if choice == "mine" else ""),
            data_text(words["theirs"], "bold" if choice == "theirs" else ""),
            data_text(value_words(resource_type, field.path, field.base), "dim"),
            Text(f"✓ {tr(_SIDE_WORDS[choice])}" if choice else "—", style="bold"),
        ]

    def mark_text(self, row_key: str, selected: bool) -> Text:
        """The marker shows only while the fields have the focus (the list has its own)."""
        return super().mark_text(row_key, selected and self.has_focus)

    def on_focus(self) -> None:
        """Show the marker on the highlighted field."""
        self._marked = None
        self.refresh_marker()

    def on_blur(self) -> None:
        """Hide the marker."""
        self._marked = None
        self.refresh_marker()

    def unchosen(self) -> list[str]:
        """Labels of the fields still without a choice."""
        if self.conflict is None:
            return []
        return [
            field_label(self.conflict.resource_type, field.path)
            for field in self.conflict.fields
            if field.path not in self.choices
        ]

    def action_choose(self, side: Side) -> None:
        """Take `side` for the highlighted field and go on to the next one."""
        key = self.cursor_row_key()
        if self.conflict is None or key is None:
            return
        self.choices[str(key.value)] = side
        self.show(self.conflict)
        self.action_cursor_down()

    def action_save(self) -> None:
        """Settle the conflict, once every field has a side."""
        if self.conflict is None:
            return
        missing = self.unchosen()
        if missing:
            self.screen.query_one(NoticeLine).show(
                tr("Still to choose: {fields}").format(fields=", ".join(missing)),
                "warning",
                timeout=None,
            )
            return
        self.post_message(self.Save(self.conflict.id, dict(self.choices)))

    def action_leave(self) -> None:
        """Back to the list."""
        self.post_message(self.Leave())


class ConflictsScreen(Screen[None]):
    """Every open conflict, and for the selected one its fields side by side and the choices."""

    CSS_PATH = Path(__file__).with_name("conflicts.tcss")
    BINDINGS = [
        Binding("m", "keep_mine", tr("Keep mine")),
        Binding("t", "keep_theirs", tr("Keep theirs")),
        Binding("e", "choose_fields", tr("Choose field by field")),
        Binding("a", "advanced", tr("Advanced: edit the record's data (JSON)"), show=False),
        Binding("escape", "back", tr("Back")),
    ]

    def __init__(self, cache: ClinicCache, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.cache = cache
        self.clock = clock
        """The app's clock; its time zone is the one times are shown in."""
        self.rows: list[ConflictRow] = []
        """The conflicts as last read, with their patients' names."""
        self.loaded = False
        """True once the list has been read (before that, an empty list means 'not yet')."""

    @property
    def conflicts(self) -> list[Conflict]:
        """The conflicts as last read."""
        return [row.conflict for row in self.rows]

    def compose(self) -> ComposeResult:
        """Title, the list, the selected conflict's fields, a message line, the footer."""
        yield Static(id="conflicts-title")
        yield ConflictList(id="conflicts-list")
        with VerticalScroll(id="conflict-detail", can_focus=False):
            yield FieldChoices(id="conflict-fields")
            yield Static(id="conflict-deletion")
        yield NoticeLine(id="conflicts-message")
        yield KeyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Read the conflicts."""
        self._show_title()
        self.query_one(ConflictList).focus()
        self._message(tr("Reading conflicts…"))
        self.reload()

    def on_cache_changed(self, _message: CacheChanged) -> None:
        """A sync may have found new conflicts, settled some or sent the queued changes."""
        self.reload()

    @property
    def selected(self) -> Conflict | None:
        """The conflict under the cursor."""
        table = self.query_one(ConflictList)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)].conflict

    # ----- reading and deciding, in a worker --------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="conflicts")
    def reload(
        self,
        decision: tuple[int, Choice, Resource | None, dict[str, Side] | None] | None = None,
    ) -> tuple[list[ConflictRow], str | None, bool, int]:
        """Apply `decision` (if any), then read every conflict: (rows, notice, failed, pending)."""
        from clinic_tui.offline_cache.conflicts import ConflictStore

        store = ConflictStore(self.cache.engine)
        notice, failed = None, False
        if decision is not None:
            conflict_id, choice, edited, choices = decision
            try:
                kind = store.get(conflict_id).kind
                store.resolve(conflict_id, choice, edited, choices=choices)
                notice = done_notice(kind, choice)
            except Exception as error:  # shown on the screen; the list is read again regardless
                notice, failed = f"{tr('Could not')}: {error}", True
        conflicts = store.list()
        names: dict[str, str] = {}
        for conflict in conflicts:
            patient_id = patient_of(conflict)
            if patient_id and patient_id not in names:
                found = self.cache.patients.get(patient_id)
                names[patient_id] = found.name if found is not None else "?"
        rows = [ConflictRow(c, names.get(patient_of(c) or "", "—")) for c in conflicts]
        pending = self.cache.pending_changes()
        self.app.post_message(SyncCounts(pending=pending, conflicts=len(conflicts)))
        return rows, notice, failed, pending

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show what the worker read, or why it failed (the screen stays usable)."""
        if event.worker.group != "conflicts":
            return
        if event.state is WorkerState.SUCCESS and isinstance(event.worker.result, tuple):
            rows, notice, failed, pending = event.worker.result
            self.show(rows, notice, failed=failed, pending=pending)
        elif event.state is WorkerState.ERROR:
            self._message(f"{tr('Could not')}: {event.worker.error}", error=True)

    def show(
        self,
        rows: list[ConflictRow],
        notice: str | None = None,
        *,
        failed: bool = False,
        pending: int = 0,
    ) -> None:
        """Fill the list, keep the cursor in place, show the selected conflict's fields."""
        table = self.query_one(ConflictList)
        row = table.cursor_row
        self.rows = rows
        self.loaded = True
        table.clear()
        zone = self.clock().tzinfo if self.clock is not None else None
        for item in rows:
            conflict = item.conflict
            table.add_row(
                " ",
                name_text(item.patient_name),
                data_text(record_label(conflict, with_name=False)),
                str(len(conflict.fields)) if conflict.kind == "edit-edit" else tr("deleted"),
                data_text(found_at(conflict.created_at, zone)),
                key=str(conflict.id),
            )
        if rows:
            table.move_cursor(row=max(0, min(row, len(rows) - 1)))
        table.refresh_marker()
        self._show_title()
        self._show_selected()
        parts = [notice] if notice else []
        if not rows:
            parts.append(settled_notice(pending))
            table.focus()
        self._message(" · ".join(parts), error=failed)

    def _show_title(self) -> None:
        title = Text.assemble(
            (tr("Conflicts"), "bold"),
            # The alarm marker only when something waits: "!! 0" would cry wolf.
            f" · {CONFLICT_MARKER + ' ' if self.rows else ''}{len(self.rows)} ",
            tr("waiting"),
        )
        self.query_one("#conflicts-title", Static).update(title)

    def _show_selected(self) -> None:
        conflict = self.selected
        fields = self.query_one(FieldChoices)
        deletion = self.query_one("#conflict-deletion", Static)
        editable = conflict is not None and conflict.kind == "edit-edit"
        fields.display = editable
        deletion.display = conflict is not None and not editable
        if conflict is not None and editable:
            fields.show(conflict)
        elif conflict is not None:
            deletion.update(deletion_text(conflict))
        self.refresh_bindings()

    def _message(self, text: str, *, error: bool = False) -> None:
        self.query_one(NoticeLine).show(text, "error" if error else "information", timeout=None)

    def on_data_table_row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        """Moving through the list shows each conflict's fields."""
        if event.data_table is self.query_one(ConflictList):
            self._show_selected()

    # ----- actions ---------------------------------------------------------------------------

    def _chosen_conflict(self) -> Conflict | None:
        """The selected conflict, or None after saying there is none."""
        conflict = self.selected
        if conflict is None and not self.loaded:
            self._message(tr("Reading conflicts…"))
        elif conflict is None:
            self._message(tr("No conflict selected: there are none waiting"), error=True)
        return conflict

    def _decide(
        self, choice: Choice, edited: Resource | None = None, choices: dict[str, Side] | None = None
    ) -> None:
        conflict = self._chosen_conflict()
        if conflict is not None:
            self.reload((conflict.id, choice, edited, choices))

    def action_keep_mine(self) -> None:
        """Keep this workstation's values at every disputed field (other changes still merge)."""
        self._decide("mine")

    def action_keep_theirs(self) -> None:
        """Take the server's version and drop the local change."""
        self._decide("theirs")

    def action_choose_fields(self) -> None:
        """Choose mine or theirs for each disputed field in turn."""
        conflict = self._chosen_conflict()
        if conflict is None:
            return
        if conflict.kind != "edit-edit":
            self._message(tr("A deleted record has no fields to choose: press m or t"), error=True)
            return
        self.query_one(FieldChoices).focus()
        self._message(tr("For each field press m (mine) or t (theirs), then ctrl+s to save"))

    def on_field_choices_save(self, message: FieldChoices.Save) -> None:
        """Every field has its side: settle the conflict with them."""
        self.query_one(ConflictList).focus()
        self.reload((message.conflict_id, "fields", None, message.choices))

    def on_field_choices_leave(self, _message: FieldChoices.Leave) -> None:
        """Back to the list; the choices made so far stay until the conflict changes."""
        self.query_one(ConflictList).focus()
        self._message("")

    def action_advanced(self) -> None:
        """Advanced: edit the merged record's JSON by hand (mine at disputed fields to start)."""
        conflict = self._chosen_conflict()
        if conflict is None:
            return
        if conflict.remote is None or conflict.kind != "edit-edit":
            self._message(tr("A deleted record has no fields to choose: press m or t"), error=True)
            return
        merged = merge_keeping_mine(conflict.base, conflict.local, conflict.remote)
        conflict_id = conflict.id

        def saved(resource: Resource | None) -> None:
            if resource is not None:
                self.reload((conflict_id, "edited", resource, None))

        self.app.push_screen(ConflictEditor(merged, record_label(conflict)), saved)

    def action_back(self) -> None:
        """Back to the queue."""
        self.dismiss(None)
