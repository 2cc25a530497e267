"""The conflicts screen: reached with `c` from the queue; keep mine, keep theirs, edit by hand.

Conflicts are recorded through ConflictStore.record, as a sync records them; after each
decision the test reads the cache and the outbox, not only the screen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from textual.widgets import Static, TextArea

from clinic_tui.app import ClinicApp
from clinic_tui.messages import CacheChanged
from clinic_tui.offline_cache.conflicts import ConflictStore
from clinic_tui.offline_cache.store import read_resource
from clinic_tui.screens.conflict_editor import ConflictEditor, check_edited
from clinic_tui.screens.conflicts import ConflictList, ConflictsScreen, FieldChoices
from clinic_tui.screens.queue import QueueScreen
from tests.ui.conflict_fixtures import make_conflicts, make_delete_conflicts
from tests.ui.pilot import press, settle
from tests.ui.queue_app import queue_app

pytestmark = pytest.mark.anyio


def rendered(app: ClinicApp, selector: str) -> str:
    """The text a Static shows."""
    return str(app.screen.query_one(selector, Static).render())


def fields_text(app: ClinicApp) -> str:
    """The selected conflict's fields (labels and values) as plain text."""
    table = app.screen.query_one(FieldChoices)
    return " | ".join(str(cell) for row in table.ordered_rows for cell in table.get_row(row.key))


def outbox(app: ClinicApp, resource_id: str) -> list[tuple[str, str | None, str]]:
    """(operation, base_version, state) of a patient's outbox entries, oldest first."""
    with app.cache.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT operation, base_version, state FROM outbox "
                "WHERE resource_id = :id ORDER BY seq"
            ),
            {"id": resource_id},
        ).all()
    return [tuple(row) for row in rows]


def patient(app: ClinicApp, resource_id: str) -> tuple[dict[str, Any], bool]:
    """The cached patient and its unsynced flag."""
    with app.cache.engine.connect() as connection:
        resource = read_resource(connection, "Patient", resource_id)
        pending = connection.execute(
            text("SELECT pending FROM patient WHERE id = :id"), {"id": resource_id}
        ).scalar_one()
    assert resource is not None
    return resource, bool(pending)


def conflicts_app(tmp_path: Path) -> ClinicApp:
    """The queue app with the two fixture conflicts recorded."""
    app = queue_app(tmp_path)
    make_conflicts(app.cache.engine)
    return app


async def test_c_opens_the_list_with_both_versions_of_each_field(tmp_path: Path) -> None:
    app = conflicts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "2 conflicts" in rendered(app, "#queue-badge")
        await press(pilot, "c")
        assert isinstance(app.screen, ConflictsScreen)
        table = app.screen.query_one(ConflictList)
        assert table.row_count == 2
        assert "王小明" in str(table.get_row_at(0)[1])
        shown = fields_text(app)
        assert "Phone" in shown  # the field's label, not the FHIR path
        assert "13911112222" in shown  # mine
        assert "13733334444" in shown  # theirs
        assert "(not recorded)" in shown  # base had no phone
        await press(pilot, "down")
        shown = fields_text(app)
        assert "Birth date" in shown
        for version in ("1979-12-21", "1979-02-12", "1979-12-12"):  # mine, theirs, base
            assert version in shown
        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)


async def test_keep_mine_then_keep_theirs(tmp_path: Path) -> None:
    app = conflicts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "m")
        # Mine: one update based on the server's version 2, carrying my phone.
        assert outbox(app, "p-wang") == [("update", "2", "pending")]
        wang, pending = patient(app, "p-wang")
        assert wang["telecom"] == [{"system": "phone", "value": "13911112222"}]
        assert pending
        assert "Kept mine" in rendered(app, "#conflicts-message")
        table = app.screen.query_one(ConflictList)
        assert table.row_count == 1
        assert "陈建国" in str(table.get_row_at(0)[1])

        await press(pilot, "t")
        # Theirs: the server's record as is, nothing left to upload for it.
        assert outbox(app, "p-chen") == []
        chen, pending = patient(app, "p-chen")
        assert (chen["birthDate"], chen["gender"]) == ("1979-02-12", "other")
        assert not pending
        assert table.row_count == 0
        assert ConflictStore(app.cache.engine).count() == 0
        assert "No conflicts" in rendered(app, "#conflicts-message")
        await press(pilot, "escape")
        badge = rendered(app, "#queue-badge")
        assert "conflict" not in badge
        assert "1 unsynced" in badge


async def test_edit_refuses_invalid_json_then_saves_valid(tmp_path: Path) -> None:
    app = conflicts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "a")  # advanced: the record's JSON
        editor = app.screen
        assert isinstance(editor, ConflictEditor)
        area = editor.query_one(TextArea)
        merged = json.loads(area.text)
        assert merged["telecom"] == [{"system": "phone", "value": "13911112222"}]

        area.text = '{"resourceType": "Patient", "id": "p-wang",'
        await press(pilot, "ctrl+s")
        assert app.screen is editor
        assert "Not valid JSON" in rendered(app, "#conflict-editor-error")

        area.text = json.dumps(merged | {"id": "p-other"})
        await press(pilot, "ctrl+s")
        assert app.screen is editor
        assert "id must stay p-wang" in rendered(app, "#conflict-editor-error")
        assert ConflictStore(app.cache.engine).count() == 2  # nothing saved
        assert outbox(app, "p-wang") == [("update", "1", "pending")]

        both = [
            {"system": "phone", "value": "13911112222"},
            {"system": "phone", "use": "work", "value": "13733334444"},
        ]
        area.text = json.dumps(merged | {"telecom": both}, ensure_ascii=False)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ConflictsScreen)
        assert "Saved: queued" in rendered(app, "#conflicts-message")
        wang, pending = patient(app, "p-wang")
        assert wang["telecom"] == both
        assert pending
        assert outbox(app, "p-wang") == [("update", "2", "pending")]
        assert ConflictStore(app.cache.engine).count() == 1


def test_check_edited_names_each_problem() -> None:
    assert isinstance(check_edited('{"resourceType": "Patient", "id": "p"}', "Patient", "p"), dict)
    assert "Not valid JSON (line 1" in str(check_edited("{", "Patient", "p"))
    assert "one JSON object" in str(check_edited("[]", "Patient", "p"))
    assert "resourceType must stay Patient" in str(
        check_edited('{"resourceType": "Encounter", "id": "p"}', "Patient", "p")
    )


async def test_escape_leaves_the_editor_without_saving(tmp_path: Path) -> None:
    app = conflicts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "a")  # advanced: the record's JSON
        assert isinstance(app.screen, ConflictEditor)
        app.screen.query_one(TextArea).text = "{}"
        await press(pilot, "escape")
        assert isinstance(app.screen, ConflictsScreen)
        assert ConflictStore(app.cache.engine).count() == 2
        assert outbox(app, "p-wang") == [("update", "1", "pending")]


async def test_conflicts_found_by_a_sync_appear_on_the_open_screen(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c")
        table = app.screen.query_one(ConflictList)
        assert table.row_count == 0
        make_conflicts(app.cache.engine)  # what a sync round does
        app.screen.post_message(CacheChanged())
        await settle(pilot)
        assert table.row_count == 2
        assert "2 waiting" in rendered(app, "#conflicts-title")


def delete_conflicts_app(tmp_path: Path) -> ClinicApp:
    """The queue app with a deleted-on-server (王小明) and a deleted-here (陈建国) conflict."""
    app = queue_app(tmp_path)
    make_delete_conflicts(app.cache.engine)
    return app


def cached_or_none(app: ClinicApp, resource_id: str) -> dict[str, Any] | None:
    """The cached patient, or None when it left the cache."""
    with app.cache.engine.connect() as connection:
        return read_resource(connection, "Patient", resource_id)


async def test_delete_conflicts_say_what_happened_and_cannot_be_edited(tmp_path: Path) -> None:
    app = delete_conflicts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c")
        table = app.screen.query_one(ConflictList)
        assert table.row_count == 2
        assert "deleted" in str(table.get_row_at(0)[3])
        shown = rendered(app, "#conflict-deletion")
        assert "Deleted on the server" in shown
        assert "create it again on the server" in shown
        assert "accept the deletion" in shown
        await press(pilot, "e")
        assert isinstance(app.screen, ConflictsScreen)  # no editor for a deleted record
        await press(pilot, "down")
        shown = rendered(app, "#conflict-deletion")
        assert "You deleted it here; the server changed it (version 2)" in shown
        assert "delete it on the server too" in shown
        assert "restore the server's version" in shown
        await press(pilot, "e")
        assert isinstance(app.screen, ConflictsScreen)
        assert ConflictStore(app.cache.engine).count() == 2


async def test_keep_mine_recreates_and_keep_theirs_restores(tmp_path: Path) -> None:
    app = delete_conflicts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "m")
        # 王小明, deleted on the server: my version goes up again as a create (no If-Match).
        assert outbox(app, "p-wang") == [("create", None, "pending")]
        wang, pending = patient(app, "p-wang")
        assert wang["gender"] == "other"
        assert pending
        assert "created again on the server" in rendered(app, "#conflicts-message")

        await press(pilot, "t")
        # 陈建国, deleted here: the server's version 2 comes back, the delete is dropped.
        assert outbox(app, "p-chen") == []
        chen, pending = patient(app, "p-chen")
        assert (chen["birthDate"], chen["meta"]["versionId"]) == ("1979-02-12", "2")
        assert not pending
        assert "Restored the server's version" in rendered(app, "#conflicts-message")
        assert ConflictStore(app.cache.engine).count() == 0


async def test_accept_the_deletion_and_keep_my_deletion(tmp_path: Path) -> None:
    app = delete_conflicts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "t")
        # 王小明: the deletion is accepted; the record and its changes leave the cache.
        assert cached_or_none(app, "p-wang") is None
        assert outbox(app, "p-wang") == []
        assert "Accepted the deletion" in rendered(app, "#conflicts-message")

        await press(pilot, "m")
        # 陈建国: still deleted, now against the server's version 2 (If-Match "2").
        assert outbox(app, "p-chen") == [("delete", "2", "pending")]
        assert "deleted on the server" in rendered(app, "#conflicts-message")
        assert ConflictStore(app.cache.engine).count() == 0
