"""Sync rounds against a real FHIR server: first sync, offline edits, lost answers, outages."""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.models import Clinic, Gender, Priority, QueueStatus
from clinic_tui.domain.registration import NewPatient
from clinic_tui.offline_cache.conflicts import ConflictStore, merge_with_remote
from clinic_tui.offline_cache.queue_repository import QueueRepository
from clinic_tui.offline_cache.store import read_resource, record_local_change
from clinic_tui.sync import upload as upload_module
from clinic_tui.sync.client import FhirClient, RetryPolicy
from clinic_tui.sync.engine import SyncEngine, SyncProgress, sync_status
from clinic_tui.sync.errors import FhirAuthError, FhirGoneError, FhirNotFoundError
from clinic_tui.sync.sync_lock import SyncBusyError, SyncLock
from clinic_tui.sync.transaction_answer import EntryAnswer, entry_answers
from clinic_tui.sync.upload import Uploader
from clinic_tui.sync.upload_plan import BatchSizer
from tests.integration.conftest import FhirServer
from tests.integration.workstation import unique_id

Resource = dict[str, Any]
TYPES = ["Organization", "Patient", "Encounter"]
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=8)))


def _new_name() -> str:
    """A Chinese name no other test on this server has (the walk-in refuses a duplicate)."""
    tail = uuid.uuid4().int
    return "张" + chr(0x4E00 + tail % 0x5000) + chr(0x4E00 + (tail >> 16) % 0x5000)


def _patient(ident: str, **fields: Any) -> Resource:
    return {
        "resourceType": "Patient",
        "id": ident,
        "name": [{"family": "李", "given": ["娜"]}],
        "gender": "female",
        "birthDate": "1975-03-02",
        **fields,
    }


def _sync(engine: Engine, client: FhirClient, **options: Any) -> SyncEngine:
    return SyncEngine(engine, client, resource_types=TYPES, **options)


def _outbox(engine: Engine) -> list[tuple[str, str, str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT resource_id, state, COALESCE(error, ''), attempts FROM outbox")
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _row(engine: Engine, table: str, ident: str) -> tuple[str | None, bool] | None:
    with engine.connect() as connection:
        found = connection.execute(
            text(f"SELECT version_id, pending FROM {table} WHERE id = :id"), {"id": ident}
        ).one_or_none()
    return None if found is None else (found[0], bool(found[1]))


def _versions_on_server(client: FhirClient, resource_type: str, ident: str) -> int:
    """How many versions the server holds of one resource (its _history total)."""
    page = client.bundle_page(f"{resource_type}/{ident}/_history")
    return page.total if page.total is not None else len(page.entries)


def _assert_synced_at(
    engine: Engine, client: FhirClient, resource_type: str, ident: str, versions: int
) -> None:
    """The server holds `versions` versions of the record and the cache its current one.

    Versions are opaque (one flavour of these tests makes them so): counted, never read.
    """
    assert _versions_on_server(client, resource_type, ident) == versions
    current = client.read(resource_type, ident)["meta"]["versionId"]
    assert _row(engine, resource_type.lower(), ident) == (current, False)


def _cached(engine: Engine, ident: str) -> Resource | None:
    """The cached Patient `ident` (None when the cache has no such record)."""
    with engine.connect() as connection:
        return read_resource(connection, "Patient", ident)


def _synced_patient(engine: Engine, client: FhirClient, prefix: str = "del") -> Resource:
    """A new Patient put on the server and synced into the cache: its cached JSON."""
    ident = unique_id(prefix)
    client.put(_patient(ident))
    assert _sync(engine, client).run().complete
    cached = _cached(engine, ident)
    assert cached is not None
    return cached


@pytest.fixture
def fhir_client(conformant_client: FhirClient) -> FhirClient:
    """Every test here runs against sekmet as it is and as another server would answer."""
    return conformant_client


@pytest.fixture
def clinic(fhir_client: FhirClient) -> Clinic:
    """A township clinic on the server."""
    org = fhir_client.put(
        {"resourceType": "Organization", "id": unique_id("org"), "name": "青山镇卫生院"}
    )
    return Clinic(org["id"], org["name"])


def test_first_sync_fills_an_empty_cache_and_records_the_time(
    engine: Engine, fhir_client: FhirClient, clinic: Clinic
) -> None:
    patient = fhir_client.put(_patient(unique_id("first")))
    steps: list[SyncProgress] = []

    report = _sync(engine, fhir_client).run(progress=steps.append)

    assert report.complete, report.errors
    assert report.downloaded >= 2
    assert report.uploaded == 0
    with engine.connect() as connection:
        assert read_resource(connection, "Patient", patient["id"]) == patient
        assert read_resource(connection, "Organization", clinic.id) is not None
    assert {s.phase for s in steps} >= {"download", "done"}
    status = sync_status(engine)
    assert status.last_sync == report.finished_at
    assert status.pending == 0
    assert status.records["Patient"] >= 1


def test_offline_queue_edits_reach_the_server_once_with_the_right_versions(
    engine: Engine, fhir_client: FhirClient, clinic: Clinic
) -> None:
    known = fhir_client.put(_patient(unique_id("known")))
    visit = fhir_client.put(
        {
            "resourceType": "Encounter",
            "id": unique_id("enc"),
            "status": "arrived",
            "class": {"code": "AMB"},
            "subject": {"reference": f"Patient/{known['id']}"},
            "serviceProvider": {"reference": f"Organization/{clinic.id}"},
            "period": {"start": NOW.isoformat()},
        }
    )
    assert _sync(engine, fhir_client).run().complete
    queue = QueueRepository(engine, clinic)
    # Offline: a new patient walks in, a known one too, and the first visit moves twice.
    walk_in = queue.register_walk_in(
        NewPatient(_new_name(), Gender.MALE, date(1990, 1, 2)), "咳嗽", Priority.ROUTINE, NOW
    )
    # Already waiting (the visit above): a second registration, confirmed at the desk.
    again = queue.register_walk_in(known["id"], "复诊", Priority.URGENT, NOW, again=True)
    queue.set_status(visit["id"], QueueStatus.IN_CONSULTATION, NOW)
    queue.set_status(visit["id"], QueueStatus.DONE, NOW + timedelta(minutes=10))
    assert len(_outbox(engine)) == 4  # two updates of one visit coalesce before upload

    report = _sync(engine, fhir_client).run()

    assert report.complete, report.errors
    assert report.uploaded == 4  # two updates of one visit travel as one PUT
    assert _outbox(engine) == []
    new_patient = read_resource(engine.connect(), "Encounter", walk_in.encounter_id)
    assert new_patient is not None
    patient_id = new_patient["subject"]["reference"].split("/")[1]
    for resource_type, ident, versions in [
        ("Patient", patient_id, 1),
        ("Encounter", walk_in.encounter_id, 1),
        ("Encounter", again.encounter_id, 1),
        ("Encounter", visit["id"], 2),
    ]:
        on_server = fhir_client.read(resource_type, ident)
        _assert_synced_at(engine, fhir_client, resource_type, ident, versions)
        with engine.connect() as connection:
            cached = read_resource(connection, resource_type, ident)
        assert cached is not None
        assert cached["meta"]["versionId"] == on_server["meta"]["versionId"]
        assert cached["meta"]["lastUpdated"] == on_server["meta"]["lastUpdated"]
    assert fhir_client.read("Encounter", visit["id"])["status"] == "finished"
    # The next round finds nothing to do: versions were written back.
    assert _sync(engine, fhir_client).run().uploaded == 0


def test_a_create_whose_answer_was_lost_is_not_duplicated(
    engine: Engine, fhir_client: FhirClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = unique_id("lost")
    tag = [{"system": "urn:test", "value": ident}]
    record_local_change(engine, _patient(ident, identifier=tag), "create")

    def crash(*_args: object) -> None:
        raise RuntimeError("the client died before writing the answer back")

    with monkeypatch.context() as patched:
        patched.setattr(Uploader, "_confirm", crash)
        with pytest.raises(RuntimeError):
            _sync(engine, fhir_client).run()
    assert _versions_on_server(fhir_client, "Patient", ident) == 1
    assert [row[0] for row in _outbox(engine)] == [ident]

    report = _sync(engine, fhir_client).run()

    assert report.complete, report.errors
    found = fhir_client.bundle_page("Patient", {"identifier": f"urn:test|{ident}"})
    assert [entry["resource"]["id"] for entry in found.entries] == [ident]
    assert _outbox(engine) == []
    # Looked up before a second send: the server holds one version, adopted here.
    assert _versions_on_server(fhir_client, "Patient", ident) == 1
    _assert_synced_at(engine, fhir_client, "Patient", ident, 1)


def test_an_update_whose_answer_was_lost_is_adopted_not_a_conflict(
    engine: Engine, fhir_client: FhirClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = _synced_patient(engine, fhir_client, "lostupd")
    ident = cached["id"]
    record_local_change(engine, {**cached, "gender": "other"}, "update")
    with monkeypatch.context() as patched:
        patched.setattr(Uploader, "_confirm", lambda *_: (_ for _ in ()).throw(OSError("crash")))
        with pytest.raises(OSError, match="crash"):
            _sync(engine, fhir_client).run()

    # The retry meets 412 (the server is at version 2 already) and sees its own change there.
    result = Uploader(engine, fhir_client).run()

    assert (result.uploaded, result.conflicts, result.errors) == (1, 0, [])
    _assert_synced_at(engine, fhir_client, "Patient", ident, 2)
    assert _versions_on_server(fhir_client, "Patient", ident) == 2


def test_a_rejected_resource_is_quarantined_and_the_rest_upload(
    engine: Engine, fhir_client: FhirClient
) -> None:
    good = [unique_id("good") for _ in range(5)]
    bad = unique_id("bad")
    for ident in good[:2]:
        record_local_change(engine, _patient(ident), "create")
    record_local_change(engine, _patient(bad, birthDate="not-a-date"), "create")
    for ident in good[2:]:
        record_local_change(engine, _patient(ident), "create")

    report = _sync(engine, fhir_client).run()

    assert not report.complete
    assert report.rejected == 1
    assert [(row[0], row[1]) for row in _outbox(engine)] == [(bad, "quarantined")]
    error = _outbox(engine)[0][2]
    assert "birthDate" in error
    assert any("birthDate" in message for message in report.errors)
    for ident in good:
        assert _versions_on_server(fhir_client, "Patient", ident) == 1
        _assert_synced_at(engine, fhir_client, "Patient", ident, 1)
    with pytest.raises(FhirNotFoundError):
        fhir_client.read("Patient", bad)
    assert _row(engine, "patient", bad) == (None, True)
    # Quarantined entries are not resent on the next round.
    again = _sync(engine, fhir_client).run()
    assert again.uploaded == 0
    assert again.rejected == 1


def test_a_wrong_token_changes_nothing_locally(engine: Engine, fhir_server: FhirServer) -> None:
    ident = unique_id("auth")
    record_local_change(engine, _patient(ident), "create")
    with engine.connect() as connection:
        before = connection.execute(text("SELECT * FROM outbox")).all()
    client = FhirClient(fhir_server.base_url, lambda: "wrong-token")

    with client, pytest.raises(FhirAuthError):
        _sync(engine, client).run()

    with engine.connect() as connection:
        assert connection.execute(text("SELECT * FROM outbox")).all() == before
        assert connection.execute(text("SELECT count(*) FROM organization")).scalar() == 0
    status = sync_status(engine)
    assert status.last_sync is None
    assert status.pending == 1


def test_the_server_going_away_mid_upload_loses_and_duplicates_nothing(
    engine: Engine, fhir_server: FhirServer
) -> None:
    client = FhirClient(
        fhir_server.base_url,
        lambda: fhir_server.token,
        retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02),
    )
    ids = [unique_id("outage") for _ in range(6)]
    for ident in ids:
        record_local_change(engine, _patient(ident), "create")
    closed = "http://127.0.0.1:9/fhir"  # discard port: nothing listens on loopback

    def cut_after_first_bundle(step: SyncProgress) -> None:
        if step.phase == "upload" and step.done >= 2:
            client.base_url = closed

    sizer = BatchSizer(2, maximum=2)
    with client:
        first = _sync(engine, client, sizer=sizer).run(progress=cut_after_first_bundle)
        assert not first.complete
        assert first.uploaded == 2
        assert any("upload stopped" in error for error in first.errors)
        left = _outbox(engine)
        assert [row[0] for row in left] == ids[2:]
        assert [row[3] for row in left] == [1, 1, 0, 0]  # only the bundle that failed
        assert sync_status(engine).last_sync is None

        client.base_url = fhir_server.base_url
        second = _sync(engine, client, sizer=sizer).run()

        assert second.complete, second.errors
        assert second.uploaded == 4
        assert _outbox(engine) == []
        for ident in ids:
            assert _versions_on_server(client, "Patient", ident) == 1
            _assert_synced_at(engine, client, "Patient", ident, 1)


def test_the_server_going_away_mid_download_keeps_the_outbox_for_the_next_round(
    engine: Engine, fhir_server: FhirServer, fhir_client: FhirClient, clinic: Clinic
) -> None:
    client = FhirClient(
        fhir_server.base_url,
        lambda: fhir_server.token,
        retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02),
    )
    ident = unique_id("dl")
    record_local_change(engine, _patient(ident), "create")

    def cut_after_first_page(step: SyncProgress) -> None:
        if step.phase == "download":
            client.base_url = "http://127.0.0.1:9/fhir"

    with client:
        first = _sync(engine, client).run(progress=cut_after_first_page)
        assert not first.complete
        assert first.uploaded == 0
        assert [row[0] for row in _outbox(engine)] == [ident]
        client.base_url = fhir_server.base_url
        second = _sync(engine, client).run()
    assert second.complete, second.errors
    assert _versions_on_server(fhir_client, "Patient", ident) == 1
    with engine.connect() as connection:
        assert read_resource(connection, "Organization", clinic.id) is not None


def test_one_sync_at_a_time_per_cache(engine: Engine, fhir_client: FhirClient) -> None:
    with SyncLock(engine), pytest.raises(SyncBusyError):
        _sync(engine, fhir_client).run()
    assert _sync(engine, fhir_client).run().complete  # released afterwards


def test_a_cancelled_sync_stops_between_pages(engine: Engine, fhir_client: FhirClient) -> None:
    record_local_change(engine, _patient(unique_id("cancel")), "create")
    cancel = threading.Event()
    cancel.set()

    report = _sync(engine, fhir_client).run(cancel=cancel)

    assert not report.complete
    assert report.uploaded == 0
    assert len(_outbox(engine)) == 1


class QuickWatch:
    """A stopwatch that always reads 10 ms: growth rules tested without depending on speed."""

    def seconds(self) -> float:
        """Ten milliseconds."""
        return 0.01


@pytest.fixture
def uploader_bundle_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the bundles the uploader sends, in order (every round trip counted as quick)."""
    monkeypatch.setattr("clinic_tui.sync.upload.Stopwatch", QuickWatch)
    sizes: list[int] = []
    original = Uploader._bundle

    def spy(self: Uploader, sendable: list[Any]) -> Resource:
        sizes.append(len(sendable))
        return original(self, sendable)

    monkeypatch.setattr(Uploader, "_bundle", spy)
    return sizes


def test_bundles_grow_on_a_quick_link(
    engine: Engine, fhir_client: FhirClient, uploader_bundle_sizes: list[int]
) -> None:
    for _ in range(30):
        record_local_change(engine, _patient(unique_id("grow")), "create")

    result = Uploader(engine, fhir_client, sizer=BatchSizer(2)).run()

    assert result.uploaded == 30
    assert result.round_trips == 4
    assert uploader_bundle_sizes == [2, 4, 8, 16]


def _edited_on_both_sides(
    engine: Engine, client: FhirClient, local: dict[str, Any], remote: dict[str, Any]
) -> str:
    """A patient synced at version 1, then changed here (offline) and by another client."""
    cached = _synced_patient(engine, client, "both")
    ident = cached["id"]
    record_local_change(engine, {**cached, **local}, "update")
    client.put({**client.read("Patient", ident), **remote})
    return ident


PHONE = {"telecom": [{"system": "phone", "value": "13800000000", "use": "mobile"}]}


def test_disjoint_edits_kept_aside_by_the_download_merge_and_upload(
    engine: Engine, fhir_client: FhirClient
) -> None:
    ident = _edited_on_both_sides(engine, fhir_client, PHONE, {"gender": "male"})

    report = _sync(engine, fhir_client).run()

    assert report.complete, report.errors
    assert report.conflicts == 0
    on_server = fhir_client.read("Patient", ident)
    assert on_server["gender"] == "male"
    assert on_server["telecom"] == PHONE["telecom"]
    _assert_synced_at(engine, fhir_client, "Patient", ident, 3)
    assert _outbox(engine) == []


def test_a_stale_upload_gets_412_merges_and_goes_up_in_the_same_run(
    engine: Engine, fhir_client: FhirClient
) -> None:
    ident = _edited_on_both_sides(engine, fhir_client, PHONE, {"gender": "male"})

    # Upload alone (no download first): the If-Match is stale and the server says 412.
    result = Uploader(engine, fhir_client, merge=merge_with_remote).run()

    assert (result.merged, result.uploaded, result.conflicts) == (1, 1, 0)
    on_server = fhir_client.read("Patient", ident)
    assert (on_server["gender"], on_server["telecom"]) == ("male", PHONE["telecom"])
    _assert_synced_at(engine, fhir_client, "Patient", ident, 3)
    assert _outbox(engine) == []


def test_the_same_field_changed_on_both_sides_waits_for_a_person(
    engine: Engine, fhir_client: FhirClient
) -> None:
    ident = _edited_on_both_sides(engine, fhir_client, {"gender": "other"}, {"gender": "male"})

    report = _sync(engine, fhir_client).run()

    assert not report.complete
    assert report.conflicts == 1
    assert fhir_client.read("Patient", ident)["gender"] == "male"  # nothing overwritten
    assert (_cached(engine, ident) or {})["gender"] == "other"
    assert [row[0] for row in _outbox(engine)] == [ident]
    # Held while the conflict is open; once resolved as 'mine' it goes up on the next round.
    assert _sync(engine, fhir_client).run().uploaded == 0
    store = ConflictStore(engine)
    store.resolve(store.list()[0].id, "mine")

    after = _sync(engine, fhir_client).run()

    assert after.complete, after.errors
    assert fhir_client.read("Patient", ident)["gender"] == "other"
    _assert_synced_at(engine, fhir_client, "Patient", ident, 3)


def test_a_stale_upload_with_the_same_field_changed_records_a_conflict(
    engine: Engine, fhir_client: FhirClient
) -> None:
    ident = _edited_on_both_sides(engine, fhir_client, {"gender": "other"}, {"gender": "male"})

    result = Uploader(engine, fhir_client, merge=merge_with_remote).run()

    assert (result.merged, result.uploaded, result.conflicts) == (0, 0, 1)
    assert [(c.resource_id, [f.path for f in c.fields]) for c in ConflictStore(engine).list()] == [
        (ident, ["gender"])
    ]
    assert _versions_on_server(fhir_client, "Patient", ident) == 2


def _lost_create(engine: Engine, client: FhirClient, monkeypatch: pytest.MonkeyPatch) -> str:
    """A create that reached the server (version 1) while its answer never came back."""
    ident = unique_id("doubt")
    record_local_change(engine, _patient(ident), "create")
    with monkeypatch.context() as patched:
        patched.setattr(Uploader, "_confirm", lambda *_: (_ for _ in ()).throw(OSError("lost")))
        with pytest.raises(OSError, match="lost"):
            Uploader(engine, client).run()
    return ident


def test_an_edit_after_a_lost_create_goes_up_on_top_of_it(
    engine: Engine, fhir_client: FhirClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = _lost_create(engine, fhir_client, monkeypatch)
    cached = _cached(engine, ident)
    record_local_change(engine, {**(cached or {}), "gender": "other"}, "update")

    result = Uploader(engine, fhir_client, merge=merge_with_remote).run()

    assert (result.uploaded, result.conflicts) == (1, 0)
    assert fhir_client.read("Patient", ident)["gender"] == "other"
    assert _versions_on_server(fhir_client, "Patient", ident) == 2
    _assert_synced_at(engine, fhir_client, "Patient", ident, 2)


def test_a_lost_create_changed_on_the_server_meanwhile_merges_with_the_edit_made_here(
    engine: Engine, fhir_client: FhirClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = _lost_create(engine, fhir_client, monkeypatch)
    fhir_client.put({**fhir_client.read("Patient", ident), "gender": "male"})
    cached = _cached(engine, ident)
    record_local_change(engine, {**(cached or {}), "birthDate": "1975-03-03"}, "update")

    result = Uploader(engine, fhir_client, merge=merge_with_remote).run()

    # What we sent is the base: the server changed gender, we changed birthDate. Disjoint
    # changes merge; the server's change is never overwritten.
    assert (result.uploaded, result.merged, result.conflicts) == (1, 1, 0)
    on_server = fhir_client.read("Patient", ident)
    assert (on_server["gender"], on_server["birthDate"]) == ("male", "1975-03-03")
    assert ConflictStore(engine).count() == 0


def test_a_lost_create_changed_there_in_the_same_field_waits_for_a_person(
    engine: Engine, fhir_client: FhirClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = _lost_create(engine, fhir_client, monkeypatch)
    fhir_client.put({**fhir_client.read("Patient", ident), "gender": "male"})
    cached = _cached(engine, ident)
    record_local_change(engine, {**(cached or {}), "gender": "other"}, "update")

    result = Uploader(engine, fhir_client, merge=merge_with_remote).run()

    assert (result.uploaded, result.conflicts) == (0, 1)
    assert fhir_client.read("Patient", ident)["gender"] == "male"
    assert ConflictStore(engine).count() == 1


def test_a_local_delete_removes_the_record_on_the_server_and_here(
    engine: Engine, fhir_client: FhirClient
) -> None:
    cached = _synced_patient(engine, fhir_client)
    record_local_change(engine, cached, "delete")

    report = _sync(engine, fhir_client).run()

    assert report.complete, report.errors
    assert report.deleted >= 1
    with pytest.raises(FhirGoneError):
        fhir_client.read("Patient", cached["id"])
    assert _row(engine, "patient", cached["id"]) is None
    assert _outbox(engine) == []


def test_an_edit_made_while_its_record_is_in_flight_is_kept_and_sent_next(
    engine: Engine, fhir_client: FhirClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = _synced_patient(engine, fhir_client)
    record_local_change(engine, {**cached, "gender": "other"}, "update")
    flights = 0

    def edit_during_flight(data: bytes, count: int) -> list[EntryAnswer]:
        nonlocal flights
        flights += 1
        if flights == 1:
            now = _cached(engine, cached["id"]) or {}
            record_local_change(engine, {**now, "birthDate": "1975-03-03"}, "update")
        return entry_answers(data, count)

    with monkeypatch.context() as patched:
        patched.setattr(upload_module, "entry_answers", edit_during_flight)
        first = _sync(engine, fhir_client).run()
    # The later edit was not confirmed by the first answer: it went up after it, in the
    # round's second upload pass (after the changes feed) or in the next round.
    second = _sync(engine, fhir_client).run()

    assert first.uploaded + second.uploaded == 2
    assert second.complete, second.errors
    on_server = fhir_client.read("Patient", cached["id"])
    assert (on_server["gender"], on_server["birthDate"]) == ("other", "1975-03-03")
    _assert_synced_at(engine, fhir_client, "Patient", cached["id"], 3)


@pytest.mark.server_feature(
    "uncapped-transactions", reason="a capped server halves the 60 (test_server_conformance)"
)
def test_the_next_round_starts_with_the_bundle_size_the_link_carried(
    engine: Engine, fhir_client: FhirClient, uploader_bundle_sizes: list[int]
) -> None:
    for _ in range(60):
        record_local_change(engine, _patient(unique_id("learn")), "create")
    assert _sync(engine, fhir_client).run().uploaded == 60
    for _ in range(60):
        record_local_change(engine, _patient(unique_id("learn")), "create")

    assert _sync(engine, fhir_client).run().uploaded == 60  # a new engine, as each TUI round

    # 50 to start (a few dozen changes go in one round trip), 100 learned for the next round.
    assert uploader_bundle_sizes == [50, 10, 60]


def test_an_edit_joining_an_entry_already_on_its_way_is_sent_after_it(
    engine: Engine, fhir_client: FhirClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Unsent changes to one record coalesce into one outbox entry. An edit made after the
    # upload read that entry, but before it was marked sent, joins it unseen: the upload
    # confirms what it sent, sees the cache has moved on, and queues the rest.
    cached = _synced_patient(engine, fhir_client)
    record_local_change(engine, {**cached, "gender": "other"}, "update")
    count_attempt = Uploader._count_attempt
    joined = []

    def edit_then_count(self: Uploader, sendable: list[Any]) -> None:
        if not joined:
            now = _cached(engine, cached["id"]) or {}
            joined.append(record_local_change(engine, {**now, "birthDate": "1975-03-03"}, "update"))
        count_attempt(self, sendable)

    with monkeypatch.context() as patched:
        patched.setattr(Uploader, "_count_attempt", edit_then_count)
        Uploader(engine, fhir_client, merge=merge_with_remote).run()
    assert len(joined) == 1
    assert joined[0] > 0  # the edit joined the entry in flight
    assert fhir_client.read("Patient", cached["id"]).get("birthDate") == "1975-03-02"
    assert len(_outbox(engine)) == 1  # the edit the server has not got, queued again

    report = _sync(engine, fhir_client).run()

    assert report.complete, report.errors
    on_server = fhir_client.read("Patient", cached["id"])
    assert (on_server["gender"], on_server["birthDate"]) == ("other", "1975-03-03")
    _assert_synced_at(engine, fhir_client, "Patient", cached["id"], 3)
