"""Delete-versus-edit conflicts: recorded with their kind, settled by a person, one txn each."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from clinic_tui.offline_cache.conflicts import ConflictStore, merge_kept_aside
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.migrations import migrate
from clinic_tui.offline_cache.store import record_local_change
from tests.unit.test_merge_kept_aside import (
    _cached_then_edited,
    _kept_aside,
    _patient,
    _pending,
    _row,
)


def _outbox_states(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT operation, state FROM outbox ORDER BY seq")).all()
    return [(op, state) for op, state in rows]


def _deleted_on_server(engine: Engine) -> int:
    _cached_then_edited(engine, {"gender": "other"})
    _kept_aside(engine, None)
    merge_kept_aside(engine)
    [conflict] = ConflictStore(engine).list()
    assert conflict.kind == "deleted-on-server"
    return conflict.id


def _deleted_here(engine: Engine) -> int:
    local = _cached_then_edited(engine)
    record_local_change(engine, local, "delete")
    _kept_aside(engine, _patient("2"))
    merge_kept_aside(engine)
    [conflict] = ConflictStore(engine).list()
    assert conflict.kind == "deleted-here"
    return conflict.id


def test_keep_mine_after_a_server_deletion_recreates_the_local_version(engine: Engine) -> None:
    store = ConflictStore(engine)
    store.resolve(_deleted_on_server(engine), "mine")
    resource, pending = _row(engine)
    assert pending is True
    assert resource is not None
    assert resource["gender"] == "other"
    assert "meta" not in resource
    assert _pending(engine) == [("create", None, None)]  # a PUT without If-Match
    assert store.count() == 0


def test_accepting_a_server_deletion_removes_the_record_and_its_changes(engine: Engine) -> None:
    store = ConflictStore(engine)
    store.resolve(_deleted_on_server(engine), "theirs")
    assert _row(engine) == (None, None)
    assert _outbox_states(engine) == []
    assert store.count() == 0


def test_keep_mine_after_a_server_change_deletes_against_the_servers_version(
    engine: Engine,
) -> None:
    store = ConflictStore(engine)
    store.resolve(_deleted_here(engine), "mine")
    assert [(op, version) for op, version, _base in _pending(engine)] == [("delete", "2")]
    assert _row(engine) == (_patient("2"), True)
    assert store.count() == 0


def test_keep_theirs_after_a_local_deletion_restores_the_server_version(engine: Engine) -> None:
    store = ConflictStore(engine)
    store.resolve(_deleted_here(engine), "theirs")
    assert _row(engine) == (_patient("2"), False)
    assert _outbox_states(engine) == []
    assert store.count() == 0


@pytest.mark.parametrize("make", [_deleted_on_server, _deleted_here])
def test_a_delete_conflict_cannot_be_edited_and_nothing_changes(
    engine: Engine, make: object
) -> None:
    conflict_id = make(engine)  # type: ignore[operator]
    before = (_row(engine), _outbox_states(engine))
    with pytest.raises(ValueError, match="not edited"):
        ConflictStore(engine).resolve(conflict_id, "edited", _patient("3"))
    assert (_row(engine), _outbox_states(engine)) == before
    assert ConflictStore(engine).count() == 1


def test_conflicts_recorded_before_v6_become_edit_edit_and_keep_their_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cache.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, target=5)
    connection.execute(
        "INSERT INTO conflict (id, resource_type, resource_id, base_json, local_json,"
        " remote_json, fields_json, created_at) VALUES (7, 'Patient', 'p-1', NULL, ?, ?, ?, ?)",
        (
            json.dumps(_patient("1")),
            json.dumps(_patient("2")),
            json.dumps([{"path": "gender", "base": None, "local": "a", "remote": "b"}]),
            "2026-11-24T01:30:00+00:00",
        ),
    )
    connection.close()

    [conflict] = ConflictStore(open_cache(path)).list()

    assert (conflict.id, conflict.kind) == (7, "edit-edit")
    assert (conflict.local, conflict.remote) == (_patient("1"), _patient("2"))
    assert [field.path for field in conflict.fields] == ["gender"]
