"""The changes feed against the real server: one `_history` request when it can tell all."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import read_resource, record_local_change
from clinic_tui.offline_cache.tables import RESOURCE_TABLES
from clinic_tui.sync import feed
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.engine import SyncEngine
from tests.integration import test_sync_scope as scope_world
from tests.integration.conftest import FhirServer, instance_name
from tests.netlab.fhir_server import running_fhir_server, selected_server
from tests.netlab.server_quirks import QuirksTransport

SYSTEM_HISTORY = pytest.mark.server_feature(
    "system-history", reason="counts the feed's own GET [base]/_history requests"
)

Resource = dict[str, Any]
TYPES = ["Organization", "Patient", "Encounter"]


class CountingTransport(QuirksTransport):
    """The real server in a flavour, recording each request's path (and refusing system
    history with a 404 if asked)."""

    def __init__(self, flavour: str = "as-is", *, no_system_history: bool = False) -> None:
        other = flavour != "as-is"
        super().__init__(opaque_versions=other, batch_transactions=other)
        self.paths: list[str] = []
        self.no_system_history = no_system_history

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rsplit(selected_server().base_path, 1)[-1]
        self.paths.append(path)
        if self.no_system_history and path == "/_history":
            # A server that does not offer system-level history answers like this.
            outcome = b'{"resourceType":"OperationOutcome","issue":[{"severity":"error",'
            outcome += b'"code":"not-supported","diagnostics":"system history not supported"}]}'
            return httpx.Response(404, content=outcome, request=request)
        return super().handle_request(request)


@pytest.fixture
def fhir_client(conformant_client: FhirClient) -> FhirClient:
    """Every test here runs against sekmet as it is and as another server would answer."""
    return conformant_client


@pytest.fixture
def counted(
    fhir_server: FhirServer, server_flavour: str
) -> Iterator[tuple[FhirClient, CountingTransport]]:
    transport = CountingTransport(server_flavour)
    with FhirClient(fhir_server.base_url, lambda: fhir_server.token, transport=transport) as client:
        yield client, transport


def _patient(prefix: str, **fields: Any) -> Resource:
    ident = f"{prefix}-{uuid.uuid4().hex[:12]}"
    return {"resourceType": "Patient", "id": ident, "name": [{"family": "赵"}], **fields}


def _synced_patients(
    engine: Engine,
    fhir_client: FhirClient,
    counted: tuple[FhirClient, CountingTransport],
    *prefixes: str,
) -> list[Resource]:
    """New patients put on the server and synced into the cache; the request log cleared."""
    client, transport = counted
    patients = [_patient(prefix) for prefix in prefixes]
    for patient in patients:
        fhir_client.put(patient)
    SyncEngine(engine, client, resource_types=TYPES).run()
    transport.paths.clear()
    return patients


def _member(clinic: str) -> Resource:
    return {"managingOrganization": {"reference": f"Organization/{clinic}"}}


def _every_record(engine: Engine) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    with engine.connect() as connection:
        for kind, row in RESOURCE_TABLES.items():
            table = row.__tablename__
            found.update((kind, i) for (i,) in connection.execute(text(f"SELECT id FROM {table}")))
    return found


def _cached_version(engine: Engine, ident: str) -> str | None:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT version_id FROM patient WHERE id = :id"), {"id": ident}
        ).scalar_one_or_none()
    return None if found is None else str(found)


@SYSTEM_HISTORY
def test_a_round_with_nothing_to_do_is_one_request(
    engine: Engine, fhir_client: FhirClient, counted: tuple[FhirClient, CountingTransport]
) -> None:
    client, transport = counted
    fhir_client.put(_patient("quiet"))
    first = SyncEngine(engine, client, resource_types=TYPES).run()
    assert first.complete
    assert "/_history" not in transport.paths, "a first sync has no checkpoint to ask from"
    transport.paths.clear()

    second = SyncEngine(engine, client, resource_types=TYPES).run()

    assert second.complete
    assert second.downloaded == 0
    assert transport.paths == ["/_history"]


@SYSTEM_HISTORY
def test_server_changes_arrive_through_the_feed_alone(
    engine: Engine, fhir_client: FhirClient, counted: tuple[FhirClient, CountingTransport]
) -> None:
    client, transport = counted
    changed, gone = _synced_patients(engine, fhir_client, counted, "changed", "gone")

    updated = fhir_client.put({**changed, "gender": "female"})
    added = fhir_client.put(_patient("added"))
    fhir_client.delete("Patient", gone["id"])
    report = SyncEngine(engine, client, resource_types=TYPES).run()

    assert report.complete
    assert transport.paths == ["/_history"]
    assert _cached_version(engine, changed["id"]) == updated["meta"]["versionId"]
    assert _cached_version(engine, added["id"]) == added["meta"]["versionId"]
    assert _cached_version(engine, gone["id"]) is None
    # A later per-type download starts from the feed's checkpoint, not from the first sync.
    with engine.connect() as connection:
        watermark = connection.execute(
            text("SELECT watermark FROM sync_state WHERE resource_type = 'Patient'")
        ).scalar_one()
        checkpoint = connection.execute(
            text("SELECT value FROM cache_meta WHERE key = :key"), {"key": feed.CHECKPOINT_KEY}
        ).scalar_one()
    assert watermark >= checkpoint


@SYSTEM_HISTORY
def test_more_changes_than_the_feed_carries_fall_back_to_the_searches(
    engine: Engine,
    fhir_client: FhirClient,
    counted: tuple[FhirClient, CountingTransport],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, transport = counted
    SyncEngine(engine, client, resource_types=TYPES).run()
    monkeypatch.setattr(feed, "FEED_PAGE_SIZE", 2)
    monkeypatch.setattr(feed, "FEED_MAX_PAGES", 1)
    added = [fhir_client.put(_patient("many")) for _ in range(3)]
    transport.paths.clear()

    report = SyncEngine(engine, client, resource_types=TYPES).run()

    assert report.complete
    assert transport.paths[0] == "/_history"
    assert "/Patient" in transport.paths
    assert all(_cached_version(engine, p["id"]) == p["meta"]["versionId"] for p in added)


def test_a_server_without_system_history_is_searched_per_type(
    engine: Engine, fhir_client: FhirClient, fhir_server: FhirServer, server_flavour: str
) -> None:
    transport = CountingTransport(server_flavour, no_system_history=True)
    with FhirClient(fhir_server.base_url, lambda: fhir_server.token, transport=transport) as client:
        SyncEngine(engine, client, resource_types=TYPES).run()
        added = fhir_client.put(_patient("nohist"))
        transport.paths.clear()
        report = SyncEngine(engine, client, resource_types=TYPES).run()

    assert report.complete, report.errors
    assert transport.paths[0] == "/_history"
    assert "/Patient" in transport.paths
    assert _cached_version(engine, added["id"]) == added["meta"]["versionId"]


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[FhirServer]:
    """A server of this test's own: its feed holds no other test's records."""
    token = secrets.token_urlsafe(16)
    name = instance_name("pytest-feed")
    with running_fhir_server(name, tmp_path / "server", token) as base_url:
        yield FhirServer(base_url, token)


@SYSTEM_HISTORY
def test_a_clinic_takes_its_new_records_from_the_feed_alone(
    engine: Engine, own_server: FhirServer
) -> None:
    transport = CountingTransport()
    token = own_server.token
    with (
        FhirClient(own_server.base_url, lambda: token, transport=transport) as client,
        FhirClient(own_server.base_url, lambda: token) as other,
    ):
        ours, theirs = (
            other.put({"resourceType": "Organization", "id": f"org-{uuid.uuid4().hex[:10]}"})
            for _ in range(2)
        )
        member = {"managingOrganization": {"reference": f"Organization/{ours['id']}"}}
        elsewhere = {"managingOrganization": {"reference": f"Organization/{theirs['id']}"}}
        known = other.put(_patient("known", **member))
        sync = SyncEngine(engine, client, resource_types=TYPES, clinic_id=ours["id"])
        sync.run()
        transport.paths.clear()

        # An edit of a record the clinic holds, a new patient of its own, another's patient.
        edited = other.put({**known, "gender": "male"})
        joined = other.put(_patient("joined", **member))
        stranger = other.put(_patient("elsewhere", **elsewhere))
        assert sync.run().complete

        # The scope's rules place every new record: no search was needed.
        assert transport.paths == ["/_history"]
        assert _cached_version(engine, known["id"]) == edited["meta"]["versionId"]
        assert _cached_version(engine, joined["id"]) == joined["meta"]["versionId"]
        assert _cached_version(engine, stranger["id"]) is None


@SYSTEM_HISTORY
def test_a_clinic_fed_by_the_feed_holds_what_its_searches_would_bring(
    tmp_path: Path, own_server: FhirServer
) -> None:
    """Records written after the first sync: the feed's rules against a fresh scoped download."""
    token = own_server.token
    run = uuid.uuid4().hex[:6]
    a, b, hosp = f"clinic-a-{run}", f"clinic-b-{run}", f"county-{run}"
    fed, searched = (open_cache(tmp_path / name / "clinic.sqlite3") for name in ("fed", "new"))
    transport = CountingTransport()
    with (
        FhirClient(own_server.base_url, lambda: token, transport=transport) as client,
        FhirClient(own_server.base_url, lambda: token) as other,
    ):
        for org in (a, b, hosp):
            other.put({"resourceType": "Organization", "id": org})
        SyncEngine(fed, client, clinic_id=a).run()
        today = date.today()
        for patient, clinic in ((f"a1-{run}", a), (f"a2-{run}", a), (f"b1-{run}", b)):
            other.put({**_patient("x"), "id": patient, **_member(clinic)})
            for record in scope_world.records(patient, patient):
                other.put(record)
        for resource in [
            scope_world.encounter(f"enc-new-{run}", f"a1-{run}", a, today - timedelta(days=3)),
            scope_world.encounter(f"enc-hosp-{run}", f"a2-{run}", hosp, today - timedelta(days=1)),
            scope_world.encounter(f"enc-old-{run}", f"a1-{run}", a, today - timedelta(days=900)),
            scope_world.encounter(f"enc-b-{run}", f"b1-{run}", b, today - timedelta(days=2)),
            *scope_world.referral(f"up-{run}", f"a1-{run}", a, hosp),
            *scope_world.referral(f"down-{run}", f"b1-{run}", hosp, a),
            *scope_world.referral(f"other-{run}", f"b1-{run}", b, hosp),
        ]:
            other.put(resource)
        transport.paths.clear()
        assert SyncEngine(fed, client, clinic_id=a).run().complete
        # The feed, then B's patient referred down to A, asked for by id; then the bundle
        # that tells the hospital A has received the referral it sent down.
        assert transport.paths == ["/_history", "/Patient", ""]
        with fed.connect() as connection:
            fed_task = read_resource(connection, "Task", f"task-down-{run}")
        assert fed_task is not None
        assert fed_task["status"] == "received"
        assert SyncEngine(searched, other, clinic_id=a).run().complete

    assert _every_record(fed) == _every_record(searched)
    assert ("Patient", f"b1-{run}") in _every_record(fed)
    assert ("Condition", f"cond-b1-{run}") not in _every_record(fed)
    assert ("ServiceRequest", f"sr-down-{run}") in _every_record(fed)


def test_another_scope_downloads_per_type_before_it_trusts_the_feed(
    engine: Engine, fhir_client: FhirClient, counted: tuple[FhirClient, CountingTransport]
) -> None:
    client, transport = counted
    SyncEngine(engine, client, resource_types=TYPES).run()
    transport.paths.clear()

    SyncEngine(engine, client, resource_types=["Patient"]).run()

    assert "/_history" not in transport.paths
    assert "/Patient" in transport.paths


def test_the_checkpoint_is_written_as_servers_write_instants() -> None:
    assert feed.checkpoint_before("2026-11-24T10:00:03Z") == "2026-11-24T09:59:58.000Z"
    assert feed.checkpoint_before("2026-11-24T18:00:03.250+08:00") == "2026-11-24T09:59:58.250Z"
    assert feed.checkpoint_before("yesterday") is None
    assert feed.checkpoint_before(None) is None


@SYSTEM_HISTORY
def test_changes_both_ways_cost_the_feed_and_one_bundle(
    engine: Engine, fhir_client: FhirClient, counted: tuple[FhirClient, CountingTransport]
) -> None:
    client, transport = counted
    theirs, ours = _synced_patients(engine, fhir_client, counted, "theirs", "ours")

    changed_there = fhir_client.put({**theirs, "gender": "female"})
    with engine.connect() as connection:
        cached = read_resource(connection, "Patient", ours["id"])
    assert cached is not None
    record_local_change(engine, {**cached, "gender": "male"}, "update")
    report = SyncEngine(engine, client, resource_types=TYPES).run()

    assert report.complete, report.errors
    assert (report.uploaded, report.downloaded) == (1, 1)
    # The feed's request and the upload's transaction went at the same time: two in all.
    assert sorted(transport.paths) == ["", "/_history"]
    assert _cached_version(engine, theirs["id"]) == changed_there["meta"]["versionId"]
    assert fhir_client.read("Patient", ours["id"])["gender"] == "male"
    assert (
        _cached_version(engine, ours["id"])
        == fhir_client.read("Patient", ours["id"])["meta"]["versionId"]
    )
