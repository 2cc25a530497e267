"""The download's trust boundary: hostile or invalid server records are refused, one by one.

These shapes are ones the real test server refuses to store (it validates dates, required
elements, and its own parser fails on deep nesting), so a mock transport plays the server
here; tests/integration/test_download_hostile.py sends what the real server does store.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from clinic_tui.demo.generator import iter_demo_resources
from clinic_tui.domain.fhir import patient_columns
from clinic_tui.domain.untrusted import clean_json
from clinic_tui.offline_cache.store import read_resource
from clinic_tui.sync import quarantine
from clinic_tui.sync.client import FhirClient, RetryPolicy
from clinic_tui.sync.download import Deletes, TypeWriter, download, download_type
from clinic_tui.sync.engine import sync_status
from clinic_tui.sync.errors import FhirRequestError
from clinic_tui.sync.inbound import MAX_DEPTH, RefusedError, admit, loads_bounded

BASE = "https://fhir.example.org/fhir"
Resource = dict[str, Any]


def _stamp(second: int) -> dict[str, str]:
    return {"versionId": "1", "lastUpdated": f"2026-03-01T08:00:{second:02d}.000Z"}


def _patient(ident: str, second: int, **extra: Any) -> Resource:
    return {"resourceType": "Patient", "id": ident, "meta": _stamp(second), **extra}


def _nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"url": "urn:x", "valueString": "bottom"}
    for _ in range(levels):
        value = {"url": "urn:x", "extension": [value]}
    return value


def _client(pages: dict[str, bytes]) -> FhirClient:
    """A server answering each type's search with a fixed body (empty Bundles elsewhere)."""

    def handler(request: httpx.Request) -> httpx.Response:
        resource_type = request.url.path.rsplit("/", 1)[-1]
        body = pages.get(resource_type)
        if body is None:
            body = json.dumps({"resourceType": "Bundle", "type": "searchset"}).encode()
        return httpx.Response(200, content=body)

    return FhirClient(
        BASE,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1),
        sleep=lambda _s: None,
    )


def _bundle(*resources: Resource) -> bytes:
    entries = [{"resource": resource} for resource in resources]
    return json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": entries}).encode()


def _read(engine: Engine, resource_type: str, ident: str) -> Resource | None:
    with engine.connect() as connection:
        return read_resource(connection, resource_type, ident)


def _cached_ids(engine: Engine, table: str) -> set[str]:
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(text(f"SELECT id FROM {table}"))}


def test_a_patient_nested_50000_deep_is_refused_and_the_round_goes_on(engine: Engine) -> None:
    # Written by hand: json.dumps itself cannot nest this deep.
    deep = '{"url":"urn:x","extension":[' * 50_000 + '{"url":"urn:x"}' + "]}" * 50_000
    hostile = json.dumps(_patient("deep-1", 2)).replace('"id"', f'"extension":[{deep}],"id"')
    good = [json.dumps(_patient(f"good-{n}", n, gender="female")) for n in (1, 3)]
    page = (
        '{"resourceType":"Bundle","type":"searchset","entry":['
        + ",".join(f'{{"resource":{body}}}' for body in (good[0], hostile, good[1]))
        + "]}"
    ).encode()

    result = download(engine, _client({"Patient": page}))

    assert result.errors == []
    assert _cached_ids(engine, "patient") == {"good-1", "good-3"}
    assert [(s.resource_id, s.reason) for s in result.skipped] == [
        ("deep-1", f"nested deeper than {MAX_DEPTH} levels")
    ]
    refused = sync_status(engine).refused
    assert [(r.resource, r.reason) for r in refused] == [
        ("Patient/deep-1", f"nested deeper than {MAX_DEPTH} levels")
    ]


def test_a_deep_answer_parses_with_its_deep_part_cut_not_a_recursion_error() -> None:
    body = b'{"a":"[[{{","b":' + b"[" * 100_000 + b"]" * 100_000 + b',"c":[1,{"d":2}]}'

    parsed = loads_bounded(body)

    assert parsed["a"] == "[[{{"
    assert parsed["c"] == [1, {"d": 2}]
    with pytest.raises(RefusedError, match="nested deeper"):
        admit({"resourceType": "Basic", "id": "x", "extension": parsed["b"]})


def test_a_deep_operation_outcome_is_an_error_line_not_a_crash() -> None:
    body = b'{"resourceType":"OperationOutcome","x":' + b"[" * 60_000 + b"]" * 60_000 + b"}"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, content=body)

    client = FhirClient(BASE, transport=httpx.MockTransport(handler), retry=RetryPolicy(1))
    with pytest.raises(FhirRequestError, match="rejected with 400"):
        client.read("Patient", "p1")


def test_text_from_the_server_is_cleaned_in_the_json_and_the_columns(engine: Engine) -> None:
    hostile = _patient(
        "esc-1",
        1,
        name=[{"text": "\x1b]52;c;aGk=\x07Evil\u202eName", "family": "\x1b[2J王"}],
        gender="male",
    )

    download_type(engine, _client({"Patient": _bundle(hostile)}), "Patient")

    cached = _read(engine, "Patient", "esc-1")
    assert cached is not None
    assert cached["name"][0]["text"] == "␛]52;c;aGk=␇EvilName"
    assert cached["name"][0]["family"] == "␛[2J王"
    with engine.connect() as connection:
        name, family = connection.execute(
            text("SELECT name, family FROM patient WHERE id = 'esc-1'")
        ).one()
    assert "\x1b" not in name + family
    assert "\u202e" not in name


TOMORROW = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
NEXT_YEAR = str(datetime.now(UTC).year + 1)


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        ({"resourceType": "Patient", "birthDate": "2022-13-45"}, "not a valid FHIR date"),
        ({"resourceType": "Patient", "birthDate": "2023-02-30"}, "not a valid FHIR date"),
        ({"resourceType": "Patient", "birthDate": "15/03/1980"}, "not a valid FHIR date"),
        ({"resourceType": "Patient", "birthDate": 1980}, "not a valid FHIR date"),
        ({"resourceType": "Patient", "birthDate": TOMORROW}, "in the future"),
        ({"resourceType": "Patient", "birthDate": NEXT_YEAR}, "in the future"),
        ({"resourceType": "Patient", "gender": "42"}, "gender '42' is not one of"),
        ({"resourceType": "Patient", "gender": ["male"]}, "gender"),
        ({"resourceType": "Observation", "code": {"text": "x"}}, "status is missing"),
        ({"resourceType": "Observation", "status": "done", "code": {"text": "x"}}, "status"),
        ({"resourceType": "Observation", "status": "final"}, "code is missing"),
        (
            {"resourceType": "MedicationRequest", "status": "active",
             "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": {"text": "a"}},
            "intent is missing",
        ),
        (
            {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
             "medicationCodeableConcept": {"text": "a"}},
            "subject is missing",
        ),
        (
            {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
             "subject": {"reference": "Patient/p"}},
            "medication[x] is missing",
        ),
        ({"resourceType": "Encounter", "status": "waiting"}, "status 'waiting'"),
    ],
)  # fmt: skip
def test_invalid_values_are_refused_with_the_reason(resource: Resource, reason: str) -> None:
    with pytest.raises(RefusedError) as refused:
        admit({"id": "r1", **resource})
    assert reason in str(refused.value)


@pytest.mark.parametrize("ident", ["a" * 65, "has space", "semi;colon", "王", "", "a/b", 7])
def test_ids_outside_the_fhir_id_pattern_are_refused(ident: Any) -> None:
    with pytest.raises(RefusedError, match="not a FHIR id"):
        admit({"resourceType": "Organization", "id": ident})


@pytest.mark.parametrize("born", ["1980", "1980-05", "1980-05-01", "2024-02-29"])
def test_partial_and_leap_day_birth_dates_are_valid(born: str) -> None:
    assert admit({"resourceType": "Patient", "id": "p-1", "birthDate": born})["birthDate"] == born


def test_every_demo_resource_passes_the_boundary() -> None:
    moment = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    refused = []
    for resource in iter_demo_resources(30, 7, moment, 1):
        try:
            admit(resource)
        except RefusedError as error:
            refused.append(f"{resource['resourceType']}/{resource['id']}: {error}")
    assert refused == []


def test_an_invalid_patient_is_not_cached_and_a_valid_version_releases_it(
    engine: Engine,
) -> None:
    bad = _patient("p-7", 1, birthDate="2022-13-45")
    first = download_type(engine, _client({"Patient": _bundle(bad)}), "Patient")
    assert [s.resource_id for s in first.skipped] == ["p-7"]
    assert _read(engine, "Patient", "p-7") is None
    assert [r.resource for r in quarantine.refusals(engine)] == ["Patient/p-7"]

    fixed = _patient("p-7", 2, birthDate="2022-12-25")
    fixed["meta"]["versionId"] = "2"
    download_type(engine, _client({"Patient": _bundle(fixed)}), "Patient")

    assert _read(engine, "Patient", "p-7") is not None
    assert quarantine.refusals(engine) == []


def test_a_long_name_is_indexed_from_its_first_characters_only() -> None:
    name = "王" + "小明" * 5_000

    columns = patient_columns({"resourceType": "Patient", "id": "p", "name": [{"text": name}]})

    assert len(columns["pinyin_full"]) <= 200 * 6
    assert len(columns["pinyin_initials"]) <= 200
    assert len(columns["name"]) <= 500


def test_cleaning_keeps_order_and_unchanged_parts_and_matches_clean_json() -> None:
    resource = {
        "resourceType": "Patient",
        "id": "p-1",
        "a": "plain",
        "b\x1bkey": ["ok", "bad\x07", {"c": "x\u202ey", "d": 1}],
        "e": {"f": "fine"},
        "g": [1, 2.5, None, True],
        "h": "line\r\nbreak",
    }

    cleaned = admit(resource)

    assert cleaned == clean_json(resource)
    assert list(cleaned) == ["resourceType", "id", "a", "b␛key", "e", "g", "h"]
    assert cleaned["e"] is resource["e"]
    assert cleaned["g"] is resource["g"]
    assert cleaned["h"] == "line\nbreak"
    untouched = {"resourceType": "Patient", "id": "p-2", "name": [{"text": "王"}]}
    assert admit(untouched) is untouched


def test_a_refused_record_deleted_on_the_server_leaves_the_list(engine: Engine) -> None:
    with engine.begin() as connection:
        quarantine.update(connection, "Patient", [("p-9", "gender '42'")], [], "2026-03-01")
    writer = TypeWriter(engine, "Patient")

    writer.apply_deletes(Deletes("Patient", {"p-9": ("2", None)}, None))

    assert quarantine.refusals(engine) == []


def test_the_refusal_list_keeps_the_newest_when_full(engine: Engine) -> None:
    with engine.begin() as connection:
        for number in range(quarantine.MAX_ENTRIES + 5):
            refused = [(f"p-{number}", "bad")]
            quarantine.update(connection, "Patient", refused, [], f"2026-03-01T{number:06d}")

    kept = quarantine.refusals(engine)

    assert len(kept) == quarantine.MAX_ENTRIES
    assert kept[0].resource == f"Patient/p-{quarantine.MAX_ENTRIES + 4}"
    assert "Patient/p-0" not in {r.resource for r in kept}
