"""Upload failure shapes the real test server cannot be made to produce (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import Engine, text

from clinic_tui.offline_cache.store import record_local_change
from clinic_tui.sync.client import FhirClient, RetryPolicy
from clinic_tui.sync.upload import Uploader
from clinic_tui.sync.upload_plan import BatchSizer

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler) -> FhirClient:
    return FhirClient(
        "http://127.0.0.1:1/fhir",
        lambda: "token",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0),
        sleep=lambda _seconds: None,
    )


def _accept(request: httpx.Request) -> httpx.Response:
    """A transaction-response confirming every entry as version 1."""
    bundle = json.loads(request.content)
    entries = []
    for entry in bundle["entry"]:
        resource = entry.get("resource")
        if resource is None:
            entries.append({"response": {"status": "200 OK"}})
            continue
        meta = {"versionId": "1", "lastUpdated": "2026-11-24T01:00:00.000Z"}
        entries.append(
            {
                "response": {"status": "201 Created", "etag": 'W/"1"'},
                "resource": {**resource, "meta": meta},
            }
        )
    body = {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
    return httpx.Response(200, json=body)


def _patients(engine: Engine, count: int) -> list[str]:
    ids = [f"p{n}" for n in range(count)]
    for ident in ids:
        record_local_change(
            engine, {"resourceType": "Patient", "id": ident, "gender": "male"}, "create"
        )
    return ids


def _outbox(engine: Engine) -> list[tuple[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT resource_id, attempts FROM outbox ORDER BY seq"))
        return [(row[0], row[1]) for row in rows]


def _bundle_sizes(requests: list[httpx.Request]) -> list[int]:
    return [len(json.loads(r.content)["entry"]) for r in requests if r.method == "POST"]


def test_a_server_that_stays_down_stops_the_phase_with_the_outbox_intact(engine: Engine) -> None:
    ids = _patients(engine, 3)

    result = Uploader(engine, _client(lambda _r: httpx.Response(503))).run()

    assert result.stopped
    assert result.uploaded == 0
    assert "503" in result.errors[0]
    assert _outbox(engine) == [(ident, 1) for ident in ids]


def test_an_answer_that_is_not_the_transaction_response_writes_nothing_back(
    engine: Engine,
) -> None:
    ids = _patients(engine, 2)

    def short(request: httpx.Request) -> httpx.Response:
        answer = json.loads(_accept(request).content)
        answer["entry"] = answer["entry"][:1]
        return httpx.Response(200, json=answer)

    result = Uploader(engine, _client(short)).run()

    assert result.stopped
    assert _outbox(engine) == [(ident, 1) for ident in ids]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM patient WHERE pending")).scalar() == 2


def test_a_proxy_page_instead_of_json_stops_the_phase(engine: Engine) -> None:
    _patients(engine, 1)

    def proxy(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, text="<html>Please log in</html>", headers={"content-type": "text/html"}
        )

    result = Uploader(engine, _client(proxy)).run()

    assert result.stopped
    assert _outbox(engine) == [("p0", 1)]


def test_a_bundle_that_times_out_is_sent_again_in_smaller_pieces(engine: Engine) -> None:
    _patients(engine, 8)
    seen: list[httpx.Request] = []

    def slow_for_big_bundles(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})
        if len(json.loads(request.content)["entry"]) > 4:
            raise httpx.ReadTimeout("no answer", request=request)
        return _accept(request)

    sizer = BatchSizer(8)
    result = Uploader(engine, _client(slow_for_big_bundles), sizer=sizer).run()

    assert result.uploaded == 8
    assert _bundle_sizes(seen) == [8, 4, 4]
    # The timed-out bundle may have been applied: each of its creates is looked up first.
    assert sorted(r.url.path for r in seen if r.method == "GET") == sorted(
        f"/fhir/Patient/p{n}" for n in range(8)
    )
    assert sizer.size < 8
    assert _outbox(engine) == []


def test_a_single_change_that_times_out_stops_the_phase(engine: Engine) -> None:
    _patients(engine, 1)

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    result = Uploader(engine, _client(timeout)).run()

    assert result.stopped
    assert _outbox(engine) == [("p0", 1)]


def test_deleting_what_the_server_no_longer_has_counts_as_deleted(engine: Engine) -> None:
    record_local_change(engine, {"resourceType": "Task", "id": "t1", "status": "draft"}, "create")
    record_local_change(engine, {"resourceType": "Task", "id": "t1", "status": "draft"}, "delete")

    def not_found(_request: httpx.Request) -> httpx.Response:
        outcome: dict[str, Any] = {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "error", "code": "not-found", "diagnostics": "Task/t1 not found"}
            ],
        }
        return httpx.Response(404, json=outcome)

    result = Uploader(engine, _client(not_found)).run()

    assert (result.deleted, result.rejected) == (1, 0)
    assert _outbox(engine) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM task")).scalar() == 0
