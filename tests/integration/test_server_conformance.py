"""The sync against answers other conformant FHIR R4 servers give (issue: opaque versions,
per-entry transaction outcomes, capped transactions, no history).

Every request reaches the real server; tests/netlab/server_quirks.py changes only what
the specification leaves to a server: versionIds made opaque (as Medplum's UUIDs), a
transaction run entry by entry (HTTP 200 with a status per entry), a cap on bundle
size (Medplum's 50), no system or type `_history`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from clinic_tui.commands.seed_server import seed_server
from clinic_tui.errors import ClinicError
from clinic_tui.offline_cache.conflicts import ConflictStore, merge_with_remote
from clinic_tui.offline_cache.store import read_resource, record_local_change
from clinic_tui.sync import feed
from clinic_tui.sync.client import FhirClient, RetryPolicy
from clinic_tui.sync.engine import SyncEngine, sync_status
from clinic_tui.sync.scope import SyncScope
from clinic_tui.sync.upload import Uploader
from clinic_tui.sync.versions import instant
from tests.integration.conftest import FhirServer
from tests.integration.workstation import unique_id
from tests.netlab.server_quirks import MEDPLUM_CAP_MESSAGE, QuirksTransport

Resource = dict[str, Any]
TYPES = ["Organization", "Patient", "Encounter"]


def _patient(ident: str, **fields: Any) -> Resource:
    return {
        "resourceType": "Patient",
        "id": ident,
        "name": [{"family": "王", "given": ["秀英"]}],
        "gender": "female",
        "birthDate": "1968-05-14",
        **fields,
    }


def _client(server: FhirServer, transport: httpx.BaseTransport) -> FhirClient:
    return FhirClient(
        server.base_url,
        lambda: server.token,
        transport=transport,
        retry=RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1),
    )


@pytest.fixture
def opaque(fhir_server: FhirServer) -> Iterator[tuple[FhirClient, QuirksTransport]]:
    """A client of the real server whose versionIds come out opaque."""
    transport = QuirksTransport(opaque_versions=True)
    with _client(fhir_server, transport) as client:
        yield client, transport


def _cached(engine: Engine, ident: str) -> Resource | None:
    with engine.connect() as connection:
        return read_resource(connection, "Patient", ident)


def _pending(engine: Engine, ident: str) -> bool:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT pending FROM patient WHERE id = :id"), {"id": ident}
        ).scalar_one()
    return bool(found)


def _outbox_states(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT resource_id, state FROM outbox")).all()
    return {row[0]: row[1] for row in rows}


def test_versions_are_opaque_through_the_quirks(
    opaque: tuple[FhirClient, QuirksTransport],
) -> None:
    client, transport = opaque
    made = client.put(_patient(unique_id("opq")))
    version = made["meta"]["versionId"]
    assert not version.isdigit()  # the condition the tests below need
    assert transport.real(version) == "1"
    again = client.put({**made, "gender": "male"}, if_match=version)
    assert again["meta"]["versionId"] != version


# ---- 1. versionId is opaque -------------------------------------------------------


class _FeedAnsweredFirst(QuirksTransport):
    """Holds the upload bundle until the changes feed's answer has left the server."""

    def __init__(self) -> None:
        super().__init__(opaque_versions=True)
        self.armed = False
        self.feed_answered = threading.Event()
        self.feed_held: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        is_feed = request.method == "GET" and request.url.path.endswith("/fhir/_history")
        if self.armed and request.method == "POST":
            assert self.feed_answered.wait(30), "the feed's request never came"
        response = super().handle_request(request)
        if self.armed and is_feed:
            self.feed_held.append(response.content.decode())
            self.feed_answered.set()
        return response


def test_a_version_the_feed_read_before_our_upload_landed_never_replaces_it(
    engine: Engine, fhir_server: FhirServer
) -> None:
    # The upload and the feed cross on the wire; the feed was answered first, so it holds
    # the version before ours. With opaque ids only the server's own order can tell.
    transport = _FeedAnsweredFirst()
    with _client(fhir_server, transport) as client:
        ident = unique_id("cross")
        made = client.put(_patient(ident))
        assert SyncEngine(engine, client, resource_types=TYPES).run().complete
        # The checkpoint before the patient's version: the next feed lists that version.
        before = instant(made["meta"]["lastUpdated"])
        assert before is not None
        fingerprint = feed.scope_fingerprint(SyncScope(), TYPES)
        since = (before - timedelta(seconds=1)).isoformat(timespec="milliseconds")
        feed.save_checkpoint(engine, since.replace("+00:00", "Z"), fingerprint)
        cached = _cached(engine, ident)
        assert cached is not None
        record_local_change(engine, {**cached, "gender": "other"}, "update")

        transport.armed = True
        report = SyncEngine(engine, client, resource_types=TYPES).run()

        assert report.complete, report.errors
        assert ident in transport.feed_held[0], "the feed must hold the older version"
        on_server = client.read("Patient", ident)
    assert on_server["gender"] == "other"
    here = _cached(engine, ident)
    assert here is not None
    assert here["gender"] == "other"
    assert here["meta"]["versionId"] == on_server["meta"]["versionId"]
    assert not _pending(engine, ident)


def test_server_changes_with_opaque_versions_reach_the_cache_and_merge(
    engine: Engine, opaque: tuple[FhirClient, QuirksTransport]
) -> None:
    client, _ = opaque
    ident = unique_id("merge")
    client.put(_patient(ident))
    assert SyncEngine(engine, client, resource_types=TYPES).run().complete
    cached = _cached(engine, ident)
    assert cached is not None
    record_local_change(engine, {**cached, "birthDate": "1968-05-15"}, "update")
    theirs = client.read("Patient", ident)
    client.put({**theirs, "gender": "male"}, if_match=theirs["meta"]["versionId"])

    report = SyncEngine(engine, client, resource_types=TYPES).run()

    assert report.complete, report.errors
    on_server = client.read("Patient", ident)
    assert (on_server["gender"], on_server["birthDate"]) == ("male", "1968-05-15")
    assert _cached(engine, ident) == on_server


# ---- 2. a transaction answered entry by entry ------------------------------------------


@pytest.fixture
def batching(fhir_server: FhirServer) -> Iterator[tuple[FhirClient, QuirksTransport]]:
    """A server that runs transactions entry by entry (and writes opaque versions)."""
    transport = QuirksTransport(opaque_versions=True, batch_transactions=True)
    with _client(fhir_server, transport) as client:
        yield client, transport


def test_a_412_inside_an_http_200_answer_is_merged_never_counted_as_uploaded(
    engine: Engine, batching: tuple[FhirClient, QuirksTransport]
) -> None:
    client, _ = batching
    stale, fresh = unique_id("stale"), unique_id("fresh")
    for ident in (stale, fresh):
        client.put(_patient(ident))
    assert SyncEngine(engine, client, resource_types=TYPES).run().complete
    for ident, change in ((stale, {"gender": "other"}), (fresh, {"birthDate": "1968-05-15"})):
        cached = _cached(engine, ident)
        assert cached is not None
        record_local_change(engine, {**cached, **change}, "update")
    theirs = client.read("Patient", stale)
    client.put({**theirs, "telecom": [{"system": "phone", "value": "13800138000"}]})

    result = Uploader(engine, client, merge=merge_with_remote).run()

    assert (result.uploaded, result.merged, result.conflicts) == (2, 1, 0), result.errors
    on_server = client.read("Patient", stale)
    assert on_server["gender"] == "other"  # our change, merged with theirs
    assert on_server["telecom"][0]["value"] == "13800138000"
    assert client.read("Patient", fresh)["birthDate"] == "1968-05-15"
    assert _outbox_states(engine) == {}
    assert _cached(engine, stale) == on_server


def test_a_bad_entry_in_an_entry_by_entry_answer_is_quarantined_alone(
    engine: Engine, batching: tuple[FhirClient, QuirksTransport]
) -> None:
    client, transport = batching
    good = [unique_id("good") for _ in range(3)]
    bad = unique_id("bad")
    record_local_change(engine, _patient(good[0]), "create")
    record_local_change(engine, _patient(bad, birthDate="not-a-date"), "create")
    for ident in good[1:]:
        record_local_change(engine, _patient(ident), "create")

    report = SyncEngine(engine, client, resource_types=TYPES).run()

    assert report.rejected == 1
    assert _outbox_states(engine) == {bad: "quarantined"}
    assert any("birthDate" in error for error in report.errors)
    for ident in good:
        assert client.read("Patient", ident)["id"] == ident
        assert not _pending(engine, ident)
    assert transport.transaction_sizes == [4]  # one answer said it all: no splitting


def test_a_same_field_412_inside_an_http_200_answer_waits_for_a_person(
    engine: Engine, batching: tuple[FhirClient, QuirksTransport]
) -> None:
    client, _ = batching
    ident = unique_id("both")
    client.put(_patient(ident))
    assert SyncEngine(engine, client, resource_types=TYPES).run().complete
    cached = _cached(engine, ident)
    assert cached is not None
    record_local_change(engine, {**cached, "gender": "other"}, "update")
    client.put({**client.read("Patient", ident), "gender": "male"})

    result = Uploader(engine, client, merge=merge_with_remote).run()

    assert (result.uploaded, result.conflicts) == (0, 1)
    assert client.read("Patient", ident)["gender"] == "male"
    assert ConflictStore(engine).count() == 1
    here = _cached(engine, ident)
    assert here is not None
    assert here["gender"] == "other"  # the local change waits, never lost
    assert _pending(engine, ident)


# ---- 3. servers cap transaction size -----------------------------------------------------


def test_a_capped_server_gets_smaller_bundles_and_the_cap_is_remembered(
    engine: Engine, fhir_server: FhirServer
) -> None:
    transport = QuirksTransport(opaque_versions=True, transaction_cap=50)
    with _client(fhir_server, transport) as client:
        for _ in range(120):
            record_local_change(engine, _patient(unique_id("cap")), "create")
        first = SyncEngine(engine, client, resource_types=TYPES).run()
        assert first.complete, first.errors
        assert first.uploaded == 120
        assert max(transport.transaction_sizes) > 50  # the condition: a refusal happened
        assert transport.refused_transactions >= 1

        transport.transaction_sizes.clear()
        transport.refused_transactions = 0
        for _ in range(120):
            record_local_change(engine, _patient(unique_id("cap")), "create")
        second = SyncEngine(engine, client, resource_types=TYPES).run()

    assert second.complete, second.errors
    assert second.uploaded == 120
    assert transport.refused_transactions == 0  # no request wasted on a known cap
    assert max(transport.transaction_sizes) <= 50
    assert _outbox_states(engine) == {}


def test_the_cap_message_is_what_medplum_answers() -> None:
    # Keep the quirk honest: the words are Medplum's, matched by the uploader's rules.
    from clinic_tui.sync.errors import FhirRequestError
    from clinic_tui.sync.transaction_answer import names_size_limit

    assert names_size_limit(FhirRequestError("rejected", status=400, outcome=MEDPLUM_CAP_MESSAGE))


# ---- 4. servers without _history -----------------------------------------------------------


def test_an_empty_searchset_for_history_is_not_read_as_nothing_changed(
    engine: Engine, fhir_server: FhirServer
) -> None:
    transport = QuirksTransport(opaque_versions=True, no_system_history=True)
    with _client(fhir_server, transport) as client:
        assert SyncEngine(engine, client, resource_types=TYPES).run().complete
        added = client.put(_patient(unique_id("nohist")))

        report = SyncEngine(engine, client, resource_types=TYPES).run()

        assert report.complete, report.errors
        assert _cached(engine, added["id"]) == added
        notes = sync_status(engine).notes
        assert any("no system-level _history" in note for note in notes)


def test_a_server_without_type_history_says_deletions_cannot_be_seen(
    engine: Engine, fhir_server: FhirServer
) -> None:
    transport = QuirksTransport(no_system_history=True, no_type_history=True)
    with _client(fhir_server, transport) as client:
        assert SyncEngine(engine, client, resource_types=TYPES).run().complete
        added = client.put(_patient(unique_id("notype")))

        report = SyncEngine(engine, client, resource_types=TYPES).run()

    assert report.complete, report.errors
    assert _cached(engine, added["id"]) == added
    notes = sync_status(engine).notes
    assert any("records deleted there stay" in note and "Patient" in note for note in notes)


# ---- 5. a lost create, edited here since ------------------------------------------------------


def test_an_edit_after_a_lost_create_goes_up_with_opaque_versions(
    engine: Engine, opaque: tuple[FhirClient, QuirksTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = opaque
    ident = unique_id("doubt")
    record_local_change(engine, _patient(ident), "create")
    with monkeypatch.context() as patched:
        patched.setattr(Uploader, "_confirm", lambda *_: (_ for _ in ()).throw(OSError("lost")))
        with pytest.raises(OSError, match="lost"):
            Uploader(engine, client).run()
    cached = _cached(engine, ident)
    assert cached is not None
    record_local_change(engine, {**cached, "gender": "other"}, "update")

    result = Uploader(engine, client, merge=merge_with_remote).run()

    assert (result.uploaded, result.conflicts) == (1, 0), result.errors
    on_server = client.read("Patient", ident)
    assert on_server["gender"] == "other"
    assert ConflictStore(engine).count() == 0
    assert _cached(engine, ident) == on_server


def test_seed_server_halves_its_transactions_for_a_capped_server(fhir_server: FhirServer) -> None:
    transport = QuirksTransport(transaction_cap=50)
    with _client(fhir_server, transport) as client:
        # 100 a batch: the first is refused, its halves (50) fit. The demo's hospital side
        # (departments, experts, their referrals) makes even 5 patients a few hundred records.
        result = seed_server(client, patients=5, seed=11, batch_size=100)

    assert transport.refused_transactions == 1  # the first; later ones fit the cap
    assert transport.transaction_sizes[0] > 50
    assert max(transport.transaction_sizes[1:]) <= 50
    assert result.resources == sum(transport.transaction_sizes[1:])
    assert result.created + result.updated == result.resources


def test_seed_server_reads_each_entry_of_an_entry_by_entry_answer(
    fhir_server: FhirServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinic_tui.commands import seed_server as seeding

    spoil = seeding.for_server

    def one_bad(resource: Resource) -> Resource:
        made = spoil(resource)
        if made["resourceType"] == "Patient":
            made["birthDate"] = "not-a-date"
        return made

    monkeypatch.setattr(seeding, "for_server", one_bad)
    transport = QuirksTransport(batch_transactions=True)
    with (
        _client(fhir_server, transport) as client,
        pytest.raises(ClinicError, match=r"refused Patient/.*400"),
    ):
        seed_server(client, patients=2, seed=12)
