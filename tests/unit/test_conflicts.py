"""Conflicts: recorded, listed, counted and resolved (mine, theirs, edited), each in one txn."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.merge import FieldConflict, three_way_merge
from clinic_tui.offline_cache import conflicts
from clinic_tui.offline_cache.conflicts import ConflictStore, UnknownConflictError
from clinic_tui.offline_cache.store import (
    read_resource,
    record_local_change,
    upsert_resources,
)

Resource = dict[str, Any]


def _server_patient(version: str = "1") -> Resource:
    return {
        "resourceType": "Patient",
        "id": "p-1",
        "meta": {"versionId": version, "lastUpdated": f"2026-11-2{version}T08:00:00+00:00"},
        "name": [{"text": "王小明", "family": "王", "given": ["小明"]}],
        "gender": "male",
        "birthDate": "1990-03-07",
        "telecom": [{"system": "phone", "use": "mobile", "value": "13800000000"}],
    }


def _state(engine: Engine) -> tuple[Any, ...]:
    """Everything a resolution may touch, to compare before and after."""
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT resource_json, version_id, pending FROM patient WHERE id = 'p-1'")
        ).one()
        outbox = connection.execute(
            text("SELECT seq, operation, base_version, state FROM outbox ORDER BY seq")
        ).all()
        conflict_rows = connection.execute(text("SELECT id FROM conflict")).all()
    return tuple(row), [tuple(r) for r in outbox], [tuple(r) for r in conflict_rows]


def _outbox(engine: Engine) -> list[tuple[str, str | None, Resource | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT operation, base_version, base_json FROM outbox WHERE state = 'pending'")
        ).all()
    return [(op, version, json.loads(base) if base else None) for op, version, base in rows]


def _row(engine: Engine) -> tuple[Resource, bool]:
    with engine.connect() as connection:
        raw = connection.execute(
            text("SELECT resource_json, pending FROM patient WHERE id = 'p-1'")
        ).one()
    return json.loads(raw[0]), bool(raw[1])


@pytest.fixture
def in_conflict(engine: Engine) -> tuple[ConflictStore, int, Resource]:
    """p-1 v1 cached; two local edits (birthDate, then gender); the server's v2 changed both."""
    with engine.begin() as connection:
        upsert_resources(connection, [_server_patient("1")])
    local = _server_patient("1")
    local["birthDate"] = "1990-03-08"
    record_local_change(engine, local, "update")
    local = copy.deepcopy(local)
    local["gender"] = "other"
    local["address"] = [{"city": "涞源"}]
    record_local_change(engine, local, "update")
    remote = _server_patient("2")
    remote["birthDate"] = "1991-01-01"
    remote["maritalStatus"] = {"text": "married"}
    base = _server_patient("1")
    outcome = three_way_merge(base, local, remote)
    store = ConflictStore(engine)
    with engine.begin() as connection:
        conflict_id = store.record(
            connection, "Patient", "p-1", base, local, remote, outcome.conflicts
        )
    return store, conflict_id, remote


def test_record_list_count(in_conflict: tuple[ConflictStore, int, Resource]) -> None:
    store, conflict_id, remote = in_conflict
    assert store.count() == 1
    [conflict] = store.list()
    assert conflict.id == conflict_id
    assert (conflict.resource_type, conflict.resource_id) == ("Patient", "p-1")
    assert conflict.remote == remote
    assert conflict.base is not None
    assert conflict.base["meta"]["versionId"] == "1"
    assert conflict.local["birthDate"] == "1990-03-08"
    assert conflict.fields == [FieldConflict("birthDate", "1990-03-07", "1990-03-08", "1991-01-01")]
    assert conflict.created_at
    assert store.get(conflict_id) == conflict


def test_recording_again_replaces_the_older_conflict(
    engine: Engine, in_conflict: tuple[ConflictStore, int, Resource]
) -> None:
    store, first, remote = in_conflict
    newer = copy.deepcopy(remote)
    newer["meta"]["versionId"] = "3"
    with engine.begin() as connection:
        second = store.record(
            connection,
            "Patient",
            "p-1",
            None,
            _server_patient(),
            newer,
            [FieldConflict("gender", None, "male", "female")],
        )
    assert second != first
    assert store.count() == 1
    assert store.list()[0].remote["meta"]["versionId"] == "3"
    assert store.list()[0].base is None
    with pytest.raises(UnknownConflictError):
        store.get(first)


def test_resolve_mine_keeps_local_values_on_top_of_the_server_version(
    engine: Engine, in_conflict: tuple[ConflictStore, int, Resource]
) -> None:
    store, conflict_id, remote = in_conflict
    store.resolve(conflict_id, "mine")
    resource, pending = _row(engine)
    assert pending
    assert resource["birthDate"] == "1990-03-08"  # mine, at the conflicting path
    assert resource["gender"] == "other"  # changed only here
    assert resource["maritalStatus"] == {"text": "married"}  # changed only there
    assert resource["meta"] == remote["meta"]
    assert _outbox(engine) == [("update", "2", remote)]
    assert store.count() == 0


def test_resolve_theirs_stores_the_server_version_and_drops_the_local_change(
    engine: Engine, in_conflict: tuple[ConflictStore, int, Resource]
) -> None:
    store, conflict_id, remote = in_conflict
    store.resolve(conflict_id, "theirs")
    resource, pending = _row(engine)
    assert resource == remote
    assert not pending
    assert _outbox(engine) == []
    assert store.count() == 0


def test_resolve_edited_writes_the_person_s_version_based_on_the_server(
    engine: Engine, in_conflict: tuple[ConflictStore, int, Resource]
) -> None:
    store, conflict_id, remote = in_conflict
    edited = copy.deepcopy(remote)
    edited["birthDate"] = "1990-12-31"
    edited["meta"] = {"versionId": "1"}  # whatever the editor held, the server's meta wins
    store.resolve(conflict_id, "edited", edited)
    resource, pending = _row(engine)
    assert pending
    assert resource["birthDate"] == "1990-12-31"
    assert resource["meta"] == remote["meta"]
    assert _outbox(engine) == [("update", "2", remote)]
    assert store.count() == 0


def test_resolve_mine_keeps_a_quarantined_entry_of_another_record(
    engine: Engine, in_conflict: tuple[ConflictStore, int, Resource]
) -> None:
    store, conflict_id, _remote = in_conflict
    other = _server_patient()
    other["id"] = "p-2"
    record_local_change(engine, other, "create")
    with engine.begin() as connection:
        connection.execute(text("UPDATE outbox SET state = 'quarantined' WHERE resource_id='p-2'"))
    store.resolve(conflict_id, "mine")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT resource_id, state FROM outbox")).all()
    assert sorted(tuple(r) for r in rows) == [("p-1", "pending"), ("p-2", "quarantined")]


def test_bad_resolutions_change_nothing(
    engine: Engine, in_conflict: tuple[ConflictStore, int, Resource]
) -> None:
    store, conflict_id, remote = in_conflict
    before = _state(engine)
    with pytest.raises(ValueError, match="edited"):
        store.resolve(conflict_id, "edited")
    wrong = copy.deepcopy(remote)
    wrong["id"] = "p-9"
    with pytest.raises(ValueError, match="not the record"):
        store.resolve(conflict_id, "edited", wrong)
    with pytest.raises(ValueError, match="unknown resolution"):
        store.resolve(conflict_id, "both")  # type: ignore[arg-type]
    with pytest.raises(UnknownConflictError):
        store.resolve(conflict_id + 1, "mine")
    assert _state(engine) == before


@pytest.mark.parametrize("choice", ["mine", "edited"])
def test_a_failure_mid_resolve_leaves_everything_as_it_was(
    engine: Engine,
    in_conflict: tuple[ConflictStore, int, Resource],
    monkeypatch: pytest.MonkeyPatch,
    choice: str,
) -> None:
    store, conflict_id, remote = in_conflict
    before = _state(engine)

    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("disk full")

    # Fails after the row was set to the server's version and old entries were dropped.
    monkeypatch.setattr(conflicts, "write_local_change", broken)
    edited = copy.deepcopy(remote)
    edited["gender"] = "female"
    with pytest.raises(RuntimeError):
        store.resolve(conflict_id, choice, edited if choice == "edited" else None)  # type: ignore[arg-type]
    assert _state(engine) == before
    assert store.count() == 1


def test_a_failure_mid_theirs_leaves_everything_as_it_was(
    engine: Engine,
    in_conflict: tuple[ConflictStore, int, Resource],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, conflict_id, _remote = in_conflict
    before = _state(engine)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(conflicts, "_drop_conflict", broken)
    with pytest.raises(RuntimeError):
        store.resolve(conflict_id, "theirs")
    assert _state(engine) == before


def test_resolution_equal_to_the_server_leaves_nothing_to_upload(
    engine: Engine, in_conflict: tuple[ConflictStore, int, Resource]
) -> None:
    store, conflict_id, remote = in_conflict
    store.resolve(conflict_id, "edited", copy.deepcopy(remote))
    resource, pending = _row(engine)
    assert resource == remote
    assert not pending
    assert _outbox(engine) == []


def test_mine_uses_the_record_as_edited_since_the_conflict(
    engine: Engine, in_conflict: tuple[ConflictStore, int, Resource]
) -> None:
    store, conflict_id, _remote = in_conflict
    with engine.connect() as connection:
        local = read_resource(connection, "Patient", "p-1")
    assert local is not None
    local["active"] = True
    record_local_change(engine, local, "update")
    store.resolve(conflict_id, "mine")
    resource, _pending = _row(engine)
    assert resource["active"] is True
    assert resource["birthDate"] == "1990-03-08"
