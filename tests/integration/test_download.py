"""Download from a real FHIR server into the cache: first, incremental, concurrent, deletes."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.offline_cache.store import read_resource, record_local_change
from clinic_tui.sync.cache_io import read_watermarks, server_versions
from clinic_tui.sync.client import BundlePage, FhirClient
from clinic_tui.sync.download import TypeDownload, download, download_type
from clinic_tui.sync.errors import (
    FhirAuthError,
    FhirGoneError,
    FhirRequestError,
    FhirUnreachable,
)
from tests.integration.conftest import FhirServer

Resource = dict[str, Any]


def _patient(ident: str, family: str = "王", given: str = "小明") -> Resource:
    return {
        "resourceType": "Patient",
        "id": ident,
        "name": [{"family": family, "given": [given]}],
        "gender": "female",
        "birthDate": "1980-05-01",
    }


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _server_patients(client: FhirClient) -> dict[str, str]:
    """id -> versionId of every Patient the server holds now."""
    found: dict[str, str] = {}
    url: str | None = "Patient"
    params: dict[str, str] | None = {"_count": "1000"}
    while url:
        page = client.bundle_page(url, params)
        for entry in page.entries:
            found[entry["resource"]["id"]] = entry["resource"]["meta"]["versionId"]
        url, params = page.next_url, None
    return found


def _cached_patients(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, version_id FROM patient"))
        return {row.id: row.version_id for row in rows}


def test_first_sync_fills_the_cache_with_every_type(
    engine: Engine, fhir_client: FhirClient
) -> None:
    patient = fhir_client.put(_patient(_new_id("first")))
    org = fhir_client.put(
        {"resourceType": "Organization", "id": _new_id("org"), "name": "青山镇卫生院"}
    )
    condition = fhir_client.put(
        {
            "resourceType": "Condition",
            "id": _new_id("cond"),
            "subject": {"reference": f"Patient/{patient['id']}"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"}]},
        }
    )

    result = download(engine, fhir_client)

    assert result.complete, (result.errors, result.skipped)
    with engine.connect() as connection:
        cached = read_resource(connection, "Patient", patient["id"])
        assert read_resource(connection, "Organization", org["id"]) == org
        assert read_resource(connection, "Condition", condition["id"]) == condition
        watermark = read_watermarks(connection, "Patient")
    assert cached == patient
    assert _cached_patients(engine) == _server_patients(fhir_client)
    assert watermark.watermark is not None
    assert watermark.history_since is not None


def test_incremental_sync_fetches_only_the_changes(engine: Engine, fhir_client: FhirClient) -> None:
    ids = [_new_id("inc") for _ in range(5)]
    for ident in ids:
        fhir_client.put(_patient(ident))
    download_type(engine, fhir_client, "Patient")

    nothing = download_type(engine, fhir_client, "Patient")
    changed = fhir_client.put({**_patient(ids[2]), "gender": "male"})
    added = fhir_client.put(_patient(_new_id("inc-new")))
    second = download_type(engine, fhir_client, "Patient")

    assert nothing.written == 0
    assert second.written == 2
    with engine.connect() as connection:
        assert read_resource(connection, "Patient", ids[2]) == changed
        assert read_resource(connection, "Patient", added["id"]) == added
    assert _cached_patients(engine) == _server_patients(fhir_client)


def test_paged_download_while_another_client_writes_skips_nothing(
    engine: Engine, fhir_client: FhirClient, fhir_server: FhirServer
) -> None:
    # Offset paging sorted by _lastUpdated: updating a record already read moves it to the
    # end and shifts every later record one place back, so a plain `next` walk skips one.
    for _ in range(40):
        fhir_client.put(_patient(_new_id("page")))
    writer = FhirClient(fhir_server.base_url, lambda: fhir_server.token)
    created_during: list[str] = []

    def write_between_pages(_type: str, progress: TypeDownload) -> None:
        if progress.pages <= 6:
            oldest = writer.bundle_page("Patient", {"_sort": "_lastUpdated", "_count": "1"})
            resource = oldest.entries[0]["resource"]
            writer.put({**resource, "active": not resource.get("active", True)})
            created_during.append(writer.put(_patient(_new_id("page-new")))["id"])

    # Control: the same writes between the pages of a plain next-link walk lose records.
    naive_seen: set[str] = set()
    url: str | None = "Patient"
    params: dict[str, str] | None = {"_sort": "_lastUpdated", "_count": "5"}
    pages = 0
    while url:
        page = fhir_client.bundle_page(url, params)
        pages += 1
        naive_seen.update(entry["resource"]["id"] for entry in page.entries)
        write_between_pages("Patient", TypeDownload("Patient", pages=pages))
        url, params = page.next_url, None
    missed_by_naive = set(_server_patients(fhir_client)) - naive_seen
    assert len(missed_by_naive) >= 3, "the writes did not shift the pages; the test proves nothing"

    # The download fetches ahead of its writes, so the writes go where they shift the pages:
    # just before each page request.
    created_during.clear()
    fetches = 0

    class WritingClient(FhirClient):
        def bundle_page(self, path_or_url: str, params: Any = None) -> BundlePage:
            nonlocal fetches
            if fetches:
                write_between_pages("Patient", TypeDownload("Patient", pages=fetches))
            fetches += 1
            return super().bundle_page(path_or_url, params)

    with WritingClient(fhir_server.base_url, lambda: fhir_server.token) as shifting:
        result = download_type(engine, shifting, "Patient", page_size=5)
    writer.close()

    assert result.error is None
    assert len(created_during) == 6
    assert set(created_during) <= set(_cached_patients(engine))
    assert _cached_patients(engine) == _server_patients(fhir_client)


@pytest.mark.server_feature("type-history", reason="a server deletion is seen in [type]/_history")
def test_a_delete_on_the_server_reaches_the_cache(engine: Engine, fhir_client: FhirClient) -> None:
    keep, drop = _new_id("keep"), _new_id("drop")
    fhir_client.put(_patient(keep))
    fhir_client.put(_patient(drop))
    download_type(engine, fhir_client, "Patient")

    fhir_client.delete("Patient", drop)
    with pytest.raises(FhirGoneError):
        fhir_client.read("Patient", drop)
    result = download_type(engine, fhir_client, "Patient")

    assert result.removed == 1
    with engine.connect() as connection:
        assert read_resource(connection, "Patient", drop) is None
        assert read_resource(connection, "Patient", keep) is not None
    assert _cached_patients(engine) == _server_patients(fhir_client)


def test_a_wrong_token_is_an_auth_error_and_changes_nothing(
    engine: Engine, fhir_server: FhirServer
) -> None:
    with (
        FhirClient(fhir_server.base_url, lambda: "not-the-token") as client,
        pytest.raises(FhirAuthError) as raised,
    ):
        download(engine, client)
    assert raised.value.status == 401
    assert raised.value.outcome  # the server's OperationOutcome text reaches the user
    assert _cached_patients(engine) == {}


@pytest.mark.server_feature("type-history", reason="a server deletion is seen in [type]/_history")
def test_a_locally_pending_record_is_not_overwritten(
    engine: Engine, fhir_client: FhirClient
) -> None:
    edited, deleted = _new_id("pending"), _new_id("pending-del")
    fhir_client.put(_patient(edited))
    fhir_client.put(_patient(deleted))
    download_type(engine, fhir_client, "Patient")
    for ident in (edited, deleted):
        with engine.connect() as connection:
            local = read_resource(connection, "Patient", ident)
        assert local is not None
        record_local_change(engine, {**local, "gender": "male"}, "update")

    theirs = fhir_client.put({**_patient(edited), "birthDate": "1981-01-01"})
    fhir_client.delete("Patient", deleted)
    result = download_type(engine, fhir_client, "Patient")

    assert sorted(result.kept_aside) == sorted([edited, deleted])
    with engine.connect() as connection:
        for ident in (edited, deleted):
            mine = read_resource(connection, "Patient", ident)
            assert mine is not None
            assert mine["gender"] == "male"
            assert mine["birthDate"] == "1980-05-01"
        pending = connection.execute(
            text("SELECT pending FROM patient WHERE id = :id"), {"id": edited}
        ).scalar_one()
        kept = {v.resource_id: v for v in server_versions(connection)}
    assert pending
    assert json.loads(kept[edited].resource_json or "{}") == theirs
    assert kept[edited].version_id == theirs["meta"]["versionId"]
    assert kept[deleted].deleted
    assert kept[deleted].resource_json is None


def test_a_resource_the_server_rejects_carries_its_operation_outcome(
    fhir_client: FhirClient,
) -> None:
    with pytest.raises(FhirRequestError) as raised:
        fhir_client.put({"resourceType": "Patient", "id": _new_id("bad"), "birthDate": "soon"})
    assert raised.value.status == 400
    assert raised.value.outcome is not None
    assert "Patient.birthDate" in raised.value.outcome


def test_a_cut_link_resumes_from_the_last_checkpoint(
    engine: Engine, fhir_client: FhirClient
) -> None:
    for _ in range(12):
        fhir_client.put(_patient(_new_id("cut")))

    def cut_after_two_pages(_type: str, progress: TypeDownload) -> None:
        if progress.pages == 2:
            raise FhirUnreachable("link cut")

    with pytest.raises(FhirUnreachable):
        download_type(engine, fhir_client, "Patient", page_size=5, on_page=cut_after_two_pages)
    with engine.connect() as connection:
        checkpoint = read_watermarks(connection, "Patient").watermark
    first_part = _cached_patients(engine)
    resumed = download_type(engine, fhir_client, "Patient", page_size=5)

    assert checkpoint is not None
    assert 0 < len(first_part) < len(_server_patients(fhir_client))
    assert resumed.written == len(_server_patients(fhir_client)) - len(first_part)
    assert _cached_patients(engine) == _server_patients(fhir_client)


def _stamped_in_one_millisecond(client: FhirClient, tries: int = 5) -> tuple[list[str], int]:
    """Patients put in one transaction until some share one lastUpdated; (ids, largest cluster).

    sekmet stamps each entry with its own clock reading, so how many share a millisecond
    depends on the machine's speed: the transaction grows until a cluster of 2 or more
    exists (the test then pages below that size), or the test is skipped with the reason.
    """
    ids: list[str] = []
    for attempt in range(tries):
        batch = [_new_id("tx") for _ in range(40 * 2**attempt)]
        entries = [
            {"resource": _patient(ident), "request": {"method": "PUT", "url": f"Patient/{ident}"}}
            for ident in batch
        ]
        client.request(
            "POST", "", body={"resourceType": "Bundle", "type": "transaction", "entry": entries}
        )
        ids += batch
        stamps = Counter(client.read("Patient", ident)["meta"]["lastUpdated"] for ident in ids)
        largest = max(stamps.values())
        if largest >= 2:
            return ids, largest
    pytest.skip(f"the server stamped {len(ids)} records each in its own millisecond")


def test_more_records_in_one_millisecond_than_a_page_are_all_downloaded(
    engine: Engine, fhir_client: FhirClient
) -> None:
    # A transaction stamps many records with the same millisecond: a `gt` watermark taken
    # at a page boundary inside such a cluster would skip the rest of it.
    ids, largest = _stamped_in_one_millisecond(fhir_client)
    # Pages smaller than the cluster: at least one whole page sits at one instant.
    page_size = largest - 1

    result = download_type(engine, fhir_client, "Patient", page_size=page_size)

    assert result.error is None
    assert set(ids) <= set(_cached_patients(engine))
    assert _cached_patients(engine) == _server_patients(fhir_client)
