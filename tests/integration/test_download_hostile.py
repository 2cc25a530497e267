"""Hostile and invalid records on a real FHIR server: the round completes, each bad one is
refused with its reason (shown by `status`), the others arrive cleaned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from clinic_tui.offline_cache.store import read_resource
from clinic_tui.sync.client import FhirClient, RetryPolicy
from clinic_tui.sync.engine import SyncEngine
from tests.conftest import Cli
from tests.integration.conftest import FhirServer
from tests.integration.workstation import unique_id

Resource = dict[str, Any]
TYPES = ["Patient"]


def _patient(ident: str, **fields: Any) -> Resource:
    return {
        "resourceType": "Patient",
        "id": ident,
        "name": [{"family": "李", "given": ["娜"]}],
        "gender": "female",
        "birthDate": "1975-03-02",
        **fields,
    }


def _read(engine: Engine, ident: str) -> Resource | None:
    with engine.connect() as connection:
        return read_resource(connection, "Patient", ident)


def test_records_the_server_stores_but_the_cache_refuses(
    engine: Engine, cache_file: Path, fhir_client: FhirClient, cli: Cli
) -> None:
    good, escaped, odd_gender, unborn = (unique_id(p) for p in ("good", "esc", "gender", "unborn"))
    future = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    fhir_client.put(_patient(good))
    fhir_client.put(_patient(escaped, name=[{"text": "\x1b]52;c;aGk=\x07王\u202e娜"}]))
    fhir_client.put(_patient(odd_gender, gender="42"))
    fhir_client.put(_patient(unborn, birthDate=future))
    try:
        report = SyncEngine(engine, fhir_client, resource_types=TYPES).run()
    finally:
        # The server is shared by this process's tests, which compare it with their caches.
        for ident in (odd_gender, unborn):
            fhir_client.delete("Patient", ident)

    assert report.downloaded >= 2
    assert _read(engine, good) is not None
    cleaned = _read(engine, escaped)
    assert cleaned is not None
    assert cleaned["name"][0]["text"] == "␛]52;c;aGk=␇王娜"
    assert _read(engine, odd_gender) is None
    assert _read(engine, unborn) is None
    code, out, _ = cli("status", "--data-dir", str(cache_file.parent))
    assert code == 0
    flat = " ".join(out.split())
    assert f"Patient/{odd_gender}" in flat.replace(" ", "") or odd_gender in flat
    assert "gender '42' is not one of" in flat
    assert "is in the future" in flat


_DEEP_LEVELS = 50_000


def _deep_entry(ident: str) -> bytes:
    """A Patient entry whose extension nests 50,000 levels (written by hand: json.dumps
    cannot nest that deep)."""
    nested = '{"url":"urn:x","extension":[' * _DEEP_LEVELS + '{"url":"urn:x"}' + "]}" * _DEEP_LEVELS
    resource = f'{{"resourceType":"Patient","id":"{ident}","extension":[{nested}]}}'
    return f'{{"resource":{resource}}}'.encode()


class DeepEntryTransport(httpx.BaseTransport):
    """The real server, with one 50,000-deep Patient added to each Patient search page.

    The real server refuses to store such a Patient (its own parser fails: 400 or 500),
    so the hostile entry is spliced into the real server's answers; every other record,
    page and link is the server's own.
    """

    def __init__(self, ident: str) -> None:
        self._inner = httpx.HTTPTransport()
        self._entry = _deep_entry(ident)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.method != "GET" or not request.url.path.endswith("/Patient"):
            return response
        body = response.read()
        marker = b'"entry":['
        at = body.find(marker)
        if at < 0:
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        spliced = body[: at + len(marker)] + self._entry + b"," + body[at + len(marker) :]
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        headers.pop("content-encoding", None)
        return httpx.Response(response.status_code, headers=headers, content=spliced)

    def close(self) -> None:
        self._inner.close()


def test_a_patient_nested_50000_deep_is_refused_and_the_first_sync_completes(
    engine: Engine, cache_file: Path, fhir_server: FhirServer, cli: Cli
) -> None:
    setup = FhirClient(fhir_server.base_url, lambda: fhir_server.token)
    others = [unique_id("beside-deep") for _ in range(3)]
    for ident in others:
        setup.put(_patient(ident))
    setup.close()
    deep = unique_id("deep")
    client = FhirClient(
        fhir_server.base_url,
        lambda: fhir_server.token,
        retry=RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1),
        transport=DeepEntryTransport(deep),
    )

    with client:
        report = SyncEngine(engine, client, resource_types=TYPES).run()

    # The type ran to its end (a type that stops is reported as "Patient: why").
    assert not [e for e in report.errors if e.startswith("Patient: ")]
    assert f"Patient/{deep}: nested deeper than 64 levels" in report.errors
    assert all(_read(engine, ident) is not None for ident in others)
    assert _read(engine, deep) is None
    code, out, _ = cli("status", "--data-dir", str(cache_file.parent))
    assert code == 0
    flat = " ".join(out.split())
    assert "nested deeper than 64 levels" in flat
    assert deep in flat.replace(" ", "") or deep in flat
    code, out, _ = cli("status", "--json", "--data-dir", str(cache_file.parent))
    assert f'"resource": "Patient/{deep}"' in out


def test_a_single_read_and_a_put_answer_are_cleaned_too(fhir_client: FhirClient) -> None:
    # The upload reads a record back to merge a conflict, and caches a PUT's answer: both
    # reach the conflicts screen or the cache without passing the download's writer.
    ident = unique_id("read")
    hostile = "\x1b]52;c;aGk=\x07王\u202e娜\x9b2J"
    answer = fhir_client.put(_patient(ident, name=[{"text": hostile}]))
    read = fhir_client.read("Patient", ident)
    for resource in (answer, read):
        text = resource["name"][0]["text"]
        assert "\x1b" not in text
        assert "\u202e" not in text
        assert "\x9b" not in text
        assert text.startswith("␛]52;c;aGk=␇王娜")
