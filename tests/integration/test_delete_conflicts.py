"""Delete against edit, end to end on the real server: a conflict a person settles, never lost."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from clinic_tui.offline_cache.conflicts import Choice, ConflictStore, merge_with_remote
from clinic_tui.offline_cache.store import record_local_change
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.engine import SyncReport
from clinic_tui.sync.errors import FhirGoneError
from clinic_tui.sync.upload import Uploader
from tests.integration.test_sync_engine import (
    Resource,
    _cached,
    _outbox,
    _row,
    _sync,
    _synced_patient,
)


@pytest.fixture
def fhir_client(conformant_client: FhirClient) -> FhirClient:
    """Every test here runs against sekmet as it is and as another server would answer."""
    return conformant_client


def _resolve_and_sync(engine: Engine, client: FhirClient, choice: Choice) -> SyncReport:
    """Settle the one open conflict with `choice`; the next sync round then completes."""
    store = ConflictStore(engine)
    [conflict] = store.list()
    store.resolve(conflict.id, choice)
    report = _sync(engine, client).run()
    assert report.complete, report.errors
    return report


def _edited_here_deleted_there(engine: Engine, client: FhirClient) -> str:
    """A synced patient edited here while the server deletes it; one round finds the conflict."""
    cached = _synced_patient(engine, client)
    record_local_change(engine, {**cached, "gender": "other"}, "update")
    client.delete("Patient", cached["id"])

    report = _sync(engine, client).run()

    assert report.conflicts == 1
    assert not report.complete
    [conflict] = ConflictStore(engine).list()
    assert (conflict.kind, conflict.resource_id, conflict.remote) == (
        "deleted-on-server",
        cached["id"],
        None,
    )
    assert conflict.local["gender"] == "other"
    assert _row(engine, "patient", cached["id"]) == (cached["meta"]["versionId"], True)
    return conflict.resource_id


def test_keep_mine_after_a_server_deletion_recreates_the_record_there(
    engine: Engine, fhir_client: FhirClient
) -> None:
    ident = _edited_here_deleted_there(engine, fhir_client)
    report = _resolve_and_sync(engine, fhir_client, "mine")

    assert report.conflicts == 0
    remote = fhir_client.read("Patient", ident)
    assert remote["gender"] == "other"
    assert _row(engine, "patient", ident) == (remote["meta"]["versionId"], False)
    assert _outbox(engine) == []


def test_accepting_a_server_deletion_removes_the_record_here(
    engine: Engine, fhir_client: FhirClient
) -> None:
    ident = _edited_here_deleted_there(engine, fhir_client)
    _resolve_and_sync(engine, fhir_client, "theirs")

    assert _row(engine, "patient", ident) is None
    assert _outbox(engine) == []
    with pytest.raises(FhirGoneError):
        fhir_client.read("Patient", ident)


def _deleted_here_changed_there(engine: Engine, client: FhirClient) -> tuple[str, Resource]:
    """A synced patient deleted here while the server changes it; one round finds the conflict."""
    cached = _synced_patient(engine, client)
    record_local_change(engine, cached, "delete")
    changed = client.put({**client.read("Patient", cached["id"]), "gender": "male"})

    report = _sync(engine, client).run()

    assert report.conflicts == 1
    assert not report.complete
    [conflict] = ConflictStore(engine).list()
    assert conflict.kind == "deleted-here"
    assert conflict.remote is not None
    assert conflict.remote["gender"] == "male"
    assert fhir_client_holds(client, cached["id"], "male")
    assert [(row[0], row[1]) for row in _outbox(engine)] == [(cached["id"], "pending")]
    return cached["id"], changed


def fhir_client_holds(client: FhirClient, ident: str, gender: str) -> bool:
    """The server still has the record, with this gender."""
    return client.read("Patient", ident)["gender"] == gender


def test_keep_mine_after_a_server_change_deletes_it_on_the_server(
    engine: Engine, fhir_client: FhirClient
) -> None:
    ident, _changed = _deleted_here_changed_there(engine, fhir_client)
    report = _resolve_and_sync(engine, fhir_client, "mine")

    assert report.deleted >= 1
    with pytest.raises(FhirGoneError):
        fhir_client.read("Patient", ident)
    assert _row(engine, "patient", ident) is None
    assert _outbox(engine) == []


def test_keep_theirs_after_a_local_deletion_restores_the_server_version(
    engine: Engine, fhir_client: FhirClient
) -> None:
    ident, changed = _deleted_here_changed_there(engine, fhir_client)
    _resolve_and_sync(engine, fhir_client, "theirs")

    assert fhir_client_holds(fhir_client, ident, "male")
    assert _cached(engine, ident) == changed
    assert _row(engine, "patient", ident) == (changed["meta"]["versionId"], False)
    assert _outbox(engine) == []


def test_an_upload_that_meets_a_server_deletion_records_the_conflict(
    engine: Engine, fhir_client: FhirClient
) -> None:
    cached = _synced_patient(engine, fhir_client)
    record_local_change(engine, {**cached, "gender": "other"}, "update")
    fhir_client.delete("Patient", cached["id"])

    result = Uploader(engine, fhir_client, merge=merge_with_remote).run()  # no download first

    assert result.conflicts == 1
    [conflict] = ConflictStore(engine).list()
    assert (conflict.kind, conflict.local["gender"]) == ("deleted-on-server", "other")
    assert [(row[0], row[1]) for row in _outbox(engine)] == [(cached["id"], "pending")]


def test_an_upload_of_a_delete_that_meets_a_server_change_records_the_conflict(
    engine: Engine, fhir_client: FhirClient
) -> None:
    cached = _synced_patient(engine, fhir_client)
    record_local_change(engine, cached, "delete")
    fhir_client.put({**fhir_client.read("Patient", cached["id"]), "gender": "male"})

    result = Uploader(engine, fhir_client, merge=merge_with_remote).run()  # no download first

    assert result.conflicts == 1
    assert result.errors == []
    [conflict] = ConflictStore(engine).list()
    assert conflict.kind == "deleted-here"
    assert fhir_client_holds(fhir_client, cached["id"], "male")
