"""Download meets answers a real server cannot be made to send (httpx.MockTransport).

A strict server never returns a Patient without an id, a Condition in a Patient search,
a 5 MB resource or an HTML page; a proxy or a buggy server can. Each is skipped with a
recorded reason and the rest of the download goes on.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import Engine

from clinic_tui.offline_cache.store import read_resource
from clinic_tui.sync.cache_io import read_watermarks
from clinic_tui.sync.client import FhirClient, RetryPolicy
from clinic_tui.sync.download import download

BASE = "https://fhir.example.org/fhir"


def _patient(ident: str | None, second: int, **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"versionId": "1", "lastUpdated": f"2026-03-01T08:00:{second:02d}.000Z"},
        **extra,
    }
    if ident is not None:
        resource["id"] = ident
    return resource


PATIENT_ENTRIES: list[Any] = [
    {"resource": _patient("good-1", 1, name=[{"family": "李", "given": ["雷"]}])},
    {"resource": _patient(None, 2)},
    {"resource": {**_patient("cond-1", 3), "resourceType": "Condition"}},
    {"resource": _patient("huge-1", 4, text={"div": "x" * (5 * 1024 * 1024)})},
    {"resource": _patient("bad-name", 5, name=[5])},
    "not an entry",
    {"resource": _patient("good-2", 6)},
]


def _updated(entry: Any) -> str:
    return str(entry["resource"]["meta"]["lastUpdated"]) if isinstance(entry, dict) else ""


def handler(request: httpx.Request) -> httpx.Response:
    """Patients with bad entries, an HTML page for Observation, empty Bundles elsewhere."""
    resource_type = request.url.path.rsplit("/", 1)[-1]
    if resource_type == "Observation":
        return httpx.Response(502, content=b"<html><body>Bad Gateway</body></html>")
    entries: list[Any] = []
    if resource_type == "Patient":
        since = request.url.params.get("_lastUpdated", "ge").removeprefix("ge")
        entries = [e for e in PATIENT_ENTRIES if not isinstance(e, dict) or _updated(e) >= since]
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    return httpx.Response(200, content=json.dumps(bundle).encode())


def test_bad_resources_are_skipped_with_reasons_and_the_rest_is_cached(engine: Engine) -> None:
    client = FhirClient(
        BASE,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0),
        sleep=lambda _s: None,
        max_body_bytes=64 * 1024 * 1024,
    )
    result = download(engine, client)

    skipped = [(s.resource_id, s.reason) for s in result.skipped]
    reasons = dict(skipped)
    assert any(ident is None and "without an id" in reason for ident, reason in skipped)
    assert any(ident is None and "not a JSON object" in reason for ident, reason in skipped)
    assert "expected Patient" in reasons["cond-1"]
    assert "exceeds" in reasons["huge-1"]
    assert "cannot be cached" in reasons["bad-name"]
    assert len(skipped) == 5
    assert result.types["Observation"].error is not None
    assert "502" in result.types["Observation"].error
    assert not result.complete
    with engine.connect() as connection:
        assert read_resource(connection, "Patient", "good-1") is not None
        assert read_resource(connection, "Patient", "good-2") is not None
        assert read_resource(connection, "Patient", "huge-1") is None
        assert read_watermarks(connection, "Patient").watermark == "2026-03-01T08:00:06.000Z"
    assert result.types["Task"].error is None
    assert result.types["Task"].pages == 1


def test_a_server_whose_next_link_repeats_the_page_stops_the_type_not_the_sync(
    engine: Engine,
) -> None:
    same_instant = [
        {"resource": _patient(f"p-{i}", 1)} for i in range(3)
    ]  # all at the checkpoint instant, so only the next link can move on

    def ignores_offsets(request: httpx.Request) -> httpx.Response:
        entries = same_instant if request.url.path.endswith("/Patient") else []
        bundle = {
            "resourceType": "Bundle",
            "entry": entries,
            "link": [{"relation": "next", "url": f"{BASE}/Patient?_offset=3"}] if entries else [],
        }
        return httpx.Response(200, content=json.dumps(bundle).encode())

    client = FhirClient(BASE, transport=httpx.MockTransport(ignores_offsets))
    result = download(engine, client, ["Patient", "Task"])

    assert "same page" in (result.types["Patient"].error or "")
    assert result.types["Patient"].pages < 10
    assert result.types["Task"].error is None
    with engine.connect() as connection:
        assert read_resource(connection, "Patient", "p-2") is not None
