"""Server versions the download kept aside, merged with the pending local change they met."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.offline_cache.conflicts import (
    ConflictStore,
    MergeSummary,
    merge_kept_aside,
    merge_with_remote,
)
from clinic_tui.offline_cache.store import read_resource, record_local_change, upsert_resources
from clinic_tui.sync.cache_io import keep_server_version, server_versions

Resource = dict[str, Any]


def _patient(version: str | None = "1", ident: str = "p-1") -> Resource:
    resource: Resource = {
        "resourceType": "Patient",
        "id": ident,
        "name": [{"text": "李娜", "family": "李", "given": ["娜"]}],
        "gender": "female",
        "birthDate": "1985-06-01",
        "telecom": [{"system": "phone", "use": "mobile", "value": "13700000000"}],
    }
    if version is not None:
        resource["meta"] = {"versionId": version, "lastUpdated": f"2026-11-2{version}T08:00:00Z"}
    return resource


def _cached_then_edited(engine: Engine, *edits: dict[str, Any], ident: str = "p-1") -> Resource:
    """The server's v1 is cached, then each edit is made locally (one outbox entry each)."""
    with engine.begin() as connection:
        upsert_resources(connection, [_patient("1", ident)])
    local = _patient("1", ident)
    for edit in edits:
        local = copy.deepcopy(local)
        local.update(edit)
        record_local_change(engine, local, "update")
    return local


def _kept_aside(engine: Engine, remote: Resource | None, ident: str = "p-1") -> None:
    """What the download does when it meets a record with a pending local change."""
    meta = (remote or {}).get("meta", {})
    with engine.begin() as connection:
        keep_server_version(
            connection,
            "Patient",
            ident,
            remote,
            version_id=meta.get("versionId", "9"),
            last_updated=meta.get("lastUpdated"),
        )


def _row(engine: Engine, ident: str = "p-1") -> tuple[Resource | None, bool | None]:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT resource_json, pending FROM patient WHERE id = :id"), {"id": ident}
        ).one_or_none()
    return (None, None) if found is None else (json.loads(found[0]), bool(found[1]))


def _pending(engine: Engine, ident: str = "p-1") -> list[tuple[str, str | None, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT operation, base_version, base_json FROM outbox"
                " WHERE state = 'pending' AND resource_id = :id ORDER BY seq"
            ),
            {"id": ident},
        ).all()
    return [(op, version, json.loads(base) if base else None) for op, version, base in rows]


def _kept_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(server_versions(connection))


def test_disjoint_changes_merge_into_one_update_based_on_the_server_version(
    engine: Engine,
) -> None:
    _cached_then_edited(engine, {"birthDate": "1985-06-02"}, {"gender": "other"})
    remote = _patient("2")
    remote["telecom"][0]["value"] = "13711112222"
    remote["maritalStatus"] = {"text": "married"}
    _kept_aside(engine, remote)

    summary = merge_kept_aside(engine)

    assert summary == MergeSummary(merged=1)
    resource, pending = _row(engine)
    assert pending
    assert resource is not None
    assert resource["birthDate"] == "1985-06-02"
    assert resource["gender"] == "other"
    assert resource["telecom"][0]["value"] == "13711112222"
    assert resource["maritalStatus"] == {"text": "married"}
    assert resource["meta"] == remote["meta"]
    assert _pending(engine) == [("update", "2", remote)]
    assert _kept_count(engine) == 0
    assert ConflictStore(engine).count() == 0


def test_same_field_changed_on_both_sides_becomes_a_conflict(engine: Engine) -> None:
    local = _cached_then_edited(engine, {"birthDate": "1985-06-02"}, {"gender": "other"})
    remote = _patient("2")
    remote["birthDate"] = "1986-01-01"
    _kept_aside(engine, remote)
    outbox_before = _pending(engine)

    summary = merge_kept_aside(engine)

    assert summary == MergeSummary(conflicts=1)
    [conflict] = ConflictStore(engine).list()
    assert conflict.base == _patient("1")  # the base of the EARLIEST pending change
    assert conflict.local == local
    assert conflict.remote == remote
    assert [f.path for f in conflict.fields] == ["birthDate"]
    assert _row(engine) == (local, True)  # nothing lost: the local version stays
    assert _pending(engine) == outbox_before
    assert _kept_count(engine) == 0


def test_resolving_the_conflict_leaves_one_update_with_if_match_the_server_version(
    engine: Engine,
) -> None:
    _cached_then_edited(engine, {"birthDate": "1985-06-02"}, {"gender": "other"})
    remote = _patient("2")
    remote["birthDate"] = "1986-01-01"
    _kept_aside(engine, remote)
    merge_kept_aside(engine)
    store = ConflictStore(engine)
    store.resolve(store.list()[0].id, "mine")
    assert _pending(engine) == [("update", "2", remote)]
    resource, _ = _row(engine)
    assert resource is not None
    assert (resource["birthDate"], resource["gender"]) == ("1985-06-02", "other")


def test_a_newer_server_version_replaces_the_recorded_conflict(engine: Engine) -> None:
    _cached_then_edited(engine, {"birthDate": "1985-06-02"})
    remote = _patient("2")
    remote["birthDate"] = "1986-01-01"
    _kept_aside(engine, remote)
    merge_kept_aside(engine)
    newer = _patient("3")
    newer["birthDate"] = "1987-01-01"
    _kept_aside(engine, newer)
    assert merge_kept_aside(engine) == MergeSummary(conflicts=1)
    [conflict] = ConflictStore(engine).list()
    assert conflict.remote["meta"]["versionId"] == "3"


def test_server_already_made_the_same_change_leaves_nothing_to_upload(engine: Engine) -> None:
    _cached_then_edited(engine, {"gender": "other"})
    remote = _patient("2")
    remote["gender"] = "other"
    _kept_aside(engine, remote)
    assert merge_kept_aside(engine) == MergeSummary(merged=1)
    assert _row(engine) == (remote, False)
    assert _pending(engine) == []


def test_local_create_meeting_an_existing_server_record(engine: Engine) -> None:
    created = _patient(None)
    record_local_change(engine, created, "create")
    remote = _patient("5")
    remote["gender"] = "male"
    _kept_aside(engine, remote)
    assert merge_kept_aside(engine) == MergeSummary(conflicts=1)
    [conflict] = ConflictStore(engine).list()
    assert conflict.base is None
    assert [f.path for f in conflict.fields] == ["gender"]


def test_local_create_identical_to_the_server_record_is_merged(engine: Engine) -> None:
    record_local_change(engine, _patient(None), "create")
    remote = _patient("5")
    _kept_aside(engine, remote)
    assert merge_kept_aside(engine) == MergeSummary(merged=1)
    assert _row(engine) == (remote, False)
    assert _pending(engine) == []


def test_server_deletion_of_a_record_changed_here_is_a_conflict(engine: Engine) -> None:
    local = _cached_then_edited(engine, {"gender": "other"})
    _kept_aside(engine, None)
    assert merge_kept_aside(engine) == MergeSummary(conflicts=1)
    assert _row(engine) == (local, True)
    assert _kept_count(engine) == 0
    [conflict] = ConflictStore(engine).list()
    assert (conflict.kind, conflict.local, conflict.remote) == ("deleted-on-server", local, None)
    assert conflict.base == _patient("1")


def test_local_deletion_of_a_record_changed_there_is_a_conflict(engine: Engine) -> None:
    local = _cached_then_edited(engine)
    record_local_change(engine, local, "delete")
    _kept_aside(engine, _patient("2"))
    assert merge_kept_aside(engine) == MergeSummary(conflicts=1)
    assert _kept_count(engine) == 0
    assert [op for op, _v, _b in _pending(engine)] == ["delete"]
    [conflict] = ConflictStore(engine).list()
    assert (conflict.kind, conflict.remote) == ("deleted-here", _patient("2"))


def test_deleted_on_both_sides_leaves_the_cache(engine: Engine) -> None:
    local = _cached_then_edited(engine)
    record_local_change(engine, local, "delete")
    _kept_aside(engine, None)
    assert merge_kept_aside(engine) == MergeSummary(unchanged=1)
    assert _row(engine) == (None, None)
    assert _pending(engine) == []
    assert ConflictStore(engine).count() == 0


def test_one_bad_server_version_does_not_block_the_others(engine: Engine) -> None:
    _cached_then_edited(engine, {"gender": "other"}, ident="p-1")
    _cached_then_edited(engine, {"gender": "other"}, ident="p-2")
    wrong = _patient("2", ident="p-9")  # kept under p-1 but names another record
    _kept_aside(engine, wrong, ident="p-1")
    good = _patient("2", ident="p-2")
    good["birthDate"] = "1980-01-01"
    _kept_aside(engine, good, ident="p-2")
    summary = merge_kept_aside(engine)
    assert summary.merged == 1
    assert len(summary.errors) == 1
    assert "Patient/p-1" in summary.errors[0]
    assert _pending(engine, "p-2") == [("update", "2", good)]
    assert _kept_count(engine) == 1  # the bad one stays for a look


def test_merge_with_remote_results(engine: Engine) -> None:
    local = _cached_then_edited(engine, {"gender": "other"})
    with engine.begin() as connection:
        # The server still holds the version the change started from: nothing to merge.
        assert merge_with_remote(connection, "Patient", "p-1", _patient("1")) == "unchanged"
        with pytest.raises(ValueError, match="Patient/p-1"):
            merge_with_remote(connection, "Patient", "p-1", _patient("2", ident="p-2"))
        remote = _patient("2")
        remote["birthDate"] = "1990-01-01"
        assert merge_with_remote(connection, "Patient", "p-1", remote) == "merged"
        # Now rebased on v2: the same version again is nothing new.
        assert merge_with_remote(connection, "Patient", "p-1", remote) == "unchanged"
        clash = _patient("3")
        clash["gender"] = "male"
        clash["birthDate"] = "1990-01-01"
        assert merge_with_remote(connection, "Patient", "p-1", clash) == "conflict"
        assert read_resource(connection, "Patient", "p-1") == {
            **local,
            "birthDate": "1990-01-01",
            "meta": remote["meta"],
        }


def test_merge_with_remote_without_a_local_change_stores_the_server_version(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [_patient("1")])
        remote = _patient("2")
        remote["gender"] = "male"
        assert merge_with_remote(connection, "Patient", "p-1", remote) == "unchanged"
        assert read_resource(connection, "Patient", "p-1") == remote


def test_a_stale_server_version_never_replaces_a_newer_cached_one(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [_patient("5")])
        stale = _patient("4")
        stale["gender"] = "male"
        assert merge_with_remote(connection, "Patient", "p-1", stale) == "unchanged"
        assert read_resource(connection, "Patient", "p-1") == _patient("5")


def test_a_server_deletion_met_after_the_local_change_was_uploaded(engine: Engine) -> None:
    _cached_then_edited(engine, {"gender": "other"}, ident="p-1")
    _cached_then_edited(engine, {"gender": "other"}, ident="p-2")
    _kept_aside(engine, None, ident="p-1")
    _kept_aside(engine, None, ident="p-2")
    recreated = {
        **_patient(None, ident="p-2"),
        "meta": {"versionId": "f3a9", "lastUpdated": "2026-11-22T08:00:05Z"},
    }
    with engine.begin() as connection:
        # The upload settled both changes; p-2's PUT recreated it on the server after the
        # deletion (versions are opaque: the server's stamps tell which came first).
        connection.execute(text("DELETE FROM outbox"))
        connection.execute(
            text("UPDATE server_version SET version_id = 'd-1', last_updated = :at"),
            {"at": "2026-11-22T08:00:00Z"},
        )
        upsert_resources(connection, [recreated])
    assert merge_kept_aside(engine) == MergeSummary(unchanged=2)
    assert _row(engine, "p-1") == (None, None)
    assert _row(engine, "p-2") == (recreated, False)
    assert _kept_count(engine) == 0
