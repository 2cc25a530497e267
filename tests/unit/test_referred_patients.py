"""Patients referred to a clinic: which are missing, how they are asked for, what is remembered.

The cache is a real SQLite file. The server is an httpx.MockTransport standing in for
servers of several behaviours (honouring `_id`, ignoring it, refusing it, answering
404/410/403): shapes the real test server cannot be made to take, so this is a unit test
of the client-side logic; tests/integration/test_referral_round_trip.py runs it for real.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from clinic_tui.offline_cache.store import read_resource, record_local_change, upsert_resources
from clinic_tui.sync import feed
from clinic_tui.sync.client import FhirClient, RetryPolicy
from clinic_tui.sync.download import DownloadResult
from clinic_tui.sync.engine import SyncEngine
from clinic_tui.sync.errors import FhirUnreachable
from clinic_tui.sync.referred_patients import (
    NO_ID_SEARCH_KEY,
    NOT_FOUND_KEY,
    REFRESHED_KEY,
    fetch_referred_patients,
    referenced_cached,
    referenced_missing,
)
from clinic_tui.sync.scope import SyncScope

BASE = "https://fhir.example.org/fhir"
HOSPITAL, TOWN = "county-1", "town-1"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
Resource = dict[str, Any]


def _ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def _patient(ident: str, clinic: str = TOWN, gender: str = "female") -> Resource:
    return {
        "resourceType": "Patient",
        "id": ident,
        "meta": {"versionId": "1", "lastUpdated": "2026-11-30T08:00:00.000Z"},
        "gender": gender,
        "birthDate": "1950-05-01",
        "managingOrganization": _ref("Organization", clinic),
    }


def _request(ident: str, patient: str, performer: str, requester: str = TOWN) -> Resource:
    return {
        "resourceType": "ServiceRequest",
        "id": ident,
        "status": "active",
        "intent": "order",
        "subject": _ref("Patient", patient),
        "requester": _ref("Organization", requester),
        "performer": [_ref("Organization", performer)],
    }


def _task(ident: str, patient: str, owner: str, requester: str = TOWN) -> Resource:
    return {
        "resourceType": "Task",
        "id": ident,
        # Already received: a requested one would go up as received in the round, and this
        # server answers for Patients only (the received step: test_referral_store.py).
        "status": "received",
        "intent": "order",
        "for": _ref("Patient", patient),
        "requester": _ref("Organization", requester),
        "owner": _ref("Organization", owner),
    }


def _cache(engine: Engine, *resources: Resource) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, resources)


def _referred(engine: Engine, *patients: str) -> None:
    """A referral to the hospital for each patient (request and Task, as a township sends)."""
    for patient in patients:
        _cache(
            engine,
            _request(f"sr-{patient}", patient, HOSPITAL),
            _task(f"task-{patient}", patient, HOSPITAL),
        )


class Server:
    """A FHIR server's Patient endpoint in one of several behaviours; records each request."""

    def __init__(self, patients: list[Resource], *, honours_id: bool = True) -> None:
        self.patients = {p["id"]: p for p in patients}
        self.honours_id = honours_id
        self.requests: list[httpx.URL] = []
        self.search_status = 200
        self.read_status: dict[str, int] = {}
        self.page_size: int | None = None
        self.failing_ids: set[str] = set()
        """A search naming one of these answers 500."""
        self.system_history = True
        self.clock = "2026-12-01T07:00:00.000Z"
        """meta.lastUpdated of every Bundle: the server's clock."""

    def client(self) -> FhirClient:
        return FhirClient(
            BASE,
            transport=httpx.MockTransport(self.handle),
            retry=RetryPolicy(attempts=1),
            sleep=lambda _s: None,
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url)
        path = request.url.path.removeprefix("/fhir/")
        if path == "Patient":
            return self._search(request.url)
        if path.endswith("_history"):
            if path == "_history" and not self.system_history:
                return httpx.Response(404, json=_outcome("system history not supported"))
            return httpx.Response(200, json=self._bundle("history", []))
        if "/" not in path:  # another type's search: a clinic's own records, none here
            return httpx.Response(200, json=self._bundle("searchset", []))
        kind, _, ident = path.partition("/")
        status = self.read_status.get(ident)
        if status is not None:
            return httpx.Response(status, json=_outcome(f"status {status}"))
        if kind != "Patient" or ident not in self.patients:
            return httpx.Response(404, json=_outcome("no such Patient"))
        return httpx.Response(200, json=self.patients[ident])

    def _search(self, url: httpx.URL) -> httpx.Response:
        if self.search_status != 200:
            return httpx.Response(self.search_status, json=_outcome("_id is not supported"))
        asked = url.params.get("_id", "").split(",")
        if self.failing_ids & set(asked):
            return httpx.Response(500, json=_outcome("internal error"))
        after = url.params.get("_lastUpdated", "gt").removeprefix("gt")
        matches = [
            p
            for ident, p in sorted(self.patients.items())
            if (not self.honours_id or ident in asked) and p["meta"]["lastUpdated"] > after
        ]
        offset = int(url.params.get("_offset", "0"))
        size = self.page_size or int(url.params.get("_count", "100"))
        page = matches[offset : offset + size]
        links = []
        if offset + size < len(matches):
            query = dict(url.params) | {"_offset": str(offset + size)}
            links.append({"relation": "next", "url": str(url.copy_with(params=query))})
        entries = [{"resource": p, "search": {"mode": "match"}} for p in page]
        bundle = self._bundle("searchset", entries) | {"total": len(matches), "link": links}
        return httpx.Response(200, json=bundle)

    def _bundle(self, kind: str, entries: list[Resource]) -> Resource:
        meta = {"lastUpdated": self.clock}
        return {"resourceType": "Bundle", "type": kind, "meta": meta, "entry": entries}

    def edit(self, ident: str, when: str, **fields: Any) -> None:
        """Another clinic's edit of a patient at `when`."""
        patient = self.patients[ident]
        version = str(int(patient["meta"]["versionId"]) + 1)
        self.patients[ident] = (
            patient | fields | {"meta": {"versionId": version, "lastUpdated": when}}
        )

    def searches(self) -> list[httpx.URL]:
        return [u for u in self.requests if u.path.endswith("/Patient")]

    def reads(self) -> list[str]:
        return [u.path.rsplit("/", 1)[-1] for u in self.requests if "/Patient/" in u.path]


def _outcome(text: str) -> Resource:
    issue = {"severity": "error", "code": "not-found", "diagnostics": text}
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def _cached_gender(engine: Engine, ident: str) -> str | None:
    with engine.connect() as connection:
        found = read_resource(connection, "Patient", ident)
    return None if found is None else str(found.get("gender"))


def _meta(engine: Engine, key: str) -> str | None:
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT value FROM cache_meta WHERE key = ?", (key,)
        ).scalar_one_or_none()
    return None if found is None else str(found)


def _not_found_note(engine: Engine) -> dict[str, str]:
    found = _meta(engine, NOT_FOUND_KEY)
    return {} if found is None else dict(json.loads(found))


# ---- which patients are missing -----------------------------------------------------


def test_the_missing_are_the_patients_of_referrals_to_the_clinic_not_cached(
    engine: Engine,
) -> None:
    _cache(
        engine,
        _patient("cached-1"),
        _request("sr-a", "p-request", HOSPITAL),  # performed here: missing
        _task("task-a", "p-request", HOSPITAL),  # the same patient again: named once
        _task("task-b", "p-task", HOSPITAL),  # owned here: missing
        _request("sr-c", "cached-1", HOSPITAL),  # already cached
        _request("sr-d", "p-elsewhere", "county-2"),  # another hospital's referral
        # Sent by this clinic to another: the patient is the other's business.
        _task("task-e", "p-sent", TOWN, requester=HOSPITAL),
    )
    with engine.connect() as connection:
        assert referenced_missing(connection, HOSPITAL) == ["p-request", "p-task"]
        assert referenced_missing(connection, "nobody") == []


# ---- asking for them ----------------------------------------------------------------


def test_missing_patients_are_searched_by_id_in_batches_following_next_links(
    engine: Engine,
) -> None:
    wanted = [f"p-{n}" for n in range(5)]
    _referred(engine, *wanted)
    server = Server([_patient(i) for i in [*wanted, "unrelated-1", "unrelated-2"]])
    server.page_size = 1  # a server that caps pages below _count: its next links are followed
    result = DownloadResult()

    done = fetch_referred_patients(engine, server.client(), HOSPITAL, result, batch_size=2, now=NOW)

    assert done.errors == []
    assert not done.read_one_by_one
    assert done.asked == wanted
    assert done.written == 5
    assert [_cached_gender(engine, i) for i in wanted] == ["female"] * 5
    assert _cached_gender(engine, "unrelated-1") is None
    firsts = [u for u in server.searches() if "_offset" not in u.params]
    assert [u.params["_id"] for u in firsts] == ["p-0,p-1", "p-2,p-3", "p-4"]
    assert [u.params["_count"] for u in firsts] == ["2", "2", "1"]
    assert server.reads() == []
    assert result.types["Patient"].written == 5
    assert result.types["Patient"].pages == 0  # no scan of the type: its deletes note stays

    # Nothing is missing any more: the next round asks nothing.
    server.requests.clear()
    again = fetch_referred_patients(engine, server.client(), HOSPITAL, now=NOW)
    assert (again.asked, server.requests) == ([], [])


def test_a_server_ignoring_id_is_never_paged_through_and_its_patients_are_read(
    engine: Engine,
) -> None:
    wanted = [f"p-{n}" for n in range(5)]
    _referred(engine, *wanted)
    others = [_patient(f"other-{n}", clinic="town-9") for n in range(50)]
    server = Server([*others, *(_patient(i) for i in wanted)], honours_id=False)

    done = fetch_referred_patients(engine, server.client(), HOSPITAL, batch_size=2, now=NOW)

    assert done.read_one_by_one
    assert done.errors == []
    assert done.written == 5
    # One search showed the parameter is ignored; its next link was never followed, and
    # the rest of the round read the ids one by one.
    assert len(server.searches()) == 1
    assert sorted(server.reads()) == wanted
    assert all(_cached_gender(engine, p["id"]) is None for p in others)


def test_a_server_refusing_the_search_is_read_one_by_one(engine: Engine) -> None:
    _referred(engine, "p-1", "p-2")
    server = Server([_patient("p-1"), _patient("p-2")])
    server.search_status = 400

    done = fetch_referred_patients(engine, server.client(), HOSPITAL, now=NOW)

    assert done.errors == []
    assert done.read_one_by_one
    assert sorted(server.reads()) == ["p-1", "p-2"]
    assert _cached_gender(engine, "p-2") == "female"


def test_ids_the_search_left_out_are_read_and_a_missing_one_is_remembered_for_a_day(
    engine: Engine,
) -> None:
    _referred(engine, "p-here", "p-gone", "p-never")
    server = Server([_patient("p-here")])
    server.read_status["p-gone"] = 410

    done = fetch_referred_patients(engine, server.client(), HOSPITAL, now=NOW)

    assert done.errors == []
    assert _cached_gender(engine, "p-here") == "female"
    # What the search did not return is read: a server that does not know the comma
    # answers nothing, and the ids must not be taken for missing on that word alone.
    assert sorted(server.reads()) == ["p-gone", "p-never"]
    assert sorted(done.not_found) == ["p-gone", "p-never"]
    assert set(_not_found_note(engine)) == {"p-gone", "p-never"}

    server.requests.clear()
    later = fetch_referred_patients(
        engine, server.client(), HOSPITAL, now=NOW + timedelta(hours=23)
    )
    assert (later.asked, server.requests) == ([], [])

    # A day on it is asked again; the patient was created meanwhile.
    server.patients["p-never"] = _patient("p-never", gender="male")
    next_day = fetch_referred_patients(
        engine, server.client(), HOSPITAL, now=NOW + timedelta(days=1, minutes=1)
    )
    assert next_day.asked == ["p-gone", "p-never"]
    assert _cached_gender(engine, "p-never") == "male"
    assert set(_not_found_note(engine)) == {"p-gone"}


def test_a_refused_read_is_reported_and_the_rest_still_come(engine: Engine) -> None:
    _referred(engine, "p-forbidden", "p-bad", "p-fine")
    server = Server([_patient("p-fine")], honours_id=False)
    server.read_status.update({"p-forbidden": 403, "p-bad": 400})

    done = fetch_referred_patients(engine, server.client(), HOSPITAL, now=NOW)

    assert _cached_gender(engine, "p-fine") == "female"
    assert len(done.errors) == 2
    assert any("p-forbidden" in e and "403" in e for e in done.errors)
    assert any("p-bad" in e and "400" in e for e in done.errors)
    assert _not_found_note(engine) == {}  # refused is not missing: asked again next round


def test_an_id_that_is_no_fhir_id_is_reported_not_sent(engine: Engine) -> None:
    _referred(engine, "p-1", "a,b")
    server = Server([_patient("p-1")])

    done = fetch_referred_patients(engine, server.client(), HOSPITAL, now=NOW)

    assert done.asked == ["p-1"]
    assert [u.params["_id"] for u in server.searches()] == ["p-1"]
    assert len(done.errors) == 1
    assert "'a,b'" in done.errors[0]


def test_an_unreachable_server_propagates_and_what_was_learnt_is_kept(engine: Engine) -> None:
    _referred(engine, "p-1", "p-2")
    calls: list[str] = []

    def cut_after_first_read(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/Patient"):
            return httpx.Response(400, json=_outcome("no _id here"))
        if len(calls) == 2:
            return httpx.Response(404, json=_outcome("gone"))
        raise httpx.ConnectError("connection refused", request=request)

    client = FhirClient(
        BASE,
        transport=httpx.MockTransport(cut_after_first_read),
        retry=RetryPolicy(attempts=1),
        sleep=lambda _s: None,
    )
    with pytest.raises(FhirUnreachable):
        fetch_referred_patients(engine, client, HOSPITAL, now=NOW)
    assert set(_not_found_note(engine)) == {"p-1"}


def test_progress_after_each_batch_can_cancel(engine: Engine) -> None:
    _referred(engine, "p-1", "p-2", "p-3")
    server = Server([_patient(i) for i in ("p-1", "p-2", "p-3")])

    class StopError(Exception):
        pass

    seen: list[int] = []

    def on_page(kind: str, so_far: Any) -> None:
        seen.append(so_far.written)
        raise StopError

    with pytest.raises(StopError):
        fetch_referred_patients(
            engine, server.client(), HOSPITAL, on_page=on_page, batch_size=2, now=NOW
        )
    assert seen == [2]
    assert len(server.searches()) == 1


# ---- the changes feed keeps to the clinic's own patients ------------------------------


def _feed_of(*resources: Resource) -> feed.FetchedFeed:
    versions: feed.Versions = {}
    for n, resource in enumerate(resources):
        entry = {
            "resource": resource,
            "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
            "response": {"status": "200", "etag": f'W/"{n + 2}"'},
        }
        version = feed.FeedVersion(entry, str(n + 2), False, f"2026-12-01T07:00:0{n}.000Z")
        versions[(resource["resourceType"], resource["id"])] = [version]
    return feed.FetchedFeed(True, versions, "2026-12-01T07:59:00.000Z")


def _observation(ident: str, patient: str) -> Resource:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"text": "BP"},
        "subject": _ref("Patient", patient),
        "meta": {"versionId": "2", "lastUpdated": "2026-12-01T07:00:00.000Z"},
    }


def test_the_feed_takes_new_records_of_the_clinics_own_patients_only(engine: Engine) -> None:
    referred = _patient("p-referred")  # managed by the township, cached at the hospital
    _cache(engine, referred, _patient("p-own", clinic=HOSPITAL))
    updated = {**referred, "gender": "male", "meta": {"versionId": "2"}}
    fetched = _feed_of(
        _observation("obs-referred", "p-referred"),
        _observation("obs-own", "p-own"),
        updated,
    )
    types = ["Patient", "Observation"]

    feed.apply_feed(engine, fetched, types, SyncScope(HOSPITAL), DownloadResult())

    with engine.connect() as connection:
        assert read_resource(connection, "Observation", "obs-own") is not None
        # The searches (`patient.organization=`) would not bring it: neither does the feed.
        assert read_resource(connection, "Observation", "obs-referred") is None
    # The referred patient itself is held here: its update is taken.
    assert _cached_gender(engine, "p-referred") == "male"


def test_a_patient_created_here_and_not_yet_sent_is_not_missing(engine: Engine) -> None:
    _referred(engine, "p-1")
    record_local_change(engine, _patient("p-1", gender="unknown"), "create")
    server = Server([_patient("p-1")])

    done = fetch_referred_patients(engine, server.client(), HOSPITAL, now=NOW)

    assert (done.asked, server.requests) == ([], [])
    assert _cached_gender(engine, "p-1") == "unknown"


# ---- keeping the cached ones current --------------------------------------------------

STARTED = "2026-12-01T08:00:00.000Z"
"""The server's clock at a round's first answer (DownloadResult.started_at)."""
WATERMARK = "2026-12-01T07:59:55.000Z"
"""STARTED less the feed's commit margin: where the next refresh asks from."""


def _round(started: str = STARTED) -> DownloadResult:
    return DownloadResult(started_at=started)


def _held_referred(engine: Engine, *idents: str) -> None:
    """Referred patients already in the hospital's cache (another clinic manages them)."""
    _referred(engine, *idents)
    _cache(engine, *(_patient(i) for i in idents))


def _birth_date(engine: Engine, ident: str) -> str | None:
    with engine.connect() as connection:
        found = read_resource(connection, "Patient", ident)
    return None if found is None else str(found.get("birthDate"))


def test_the_cached_ones_are_the_referred_patients_another_clinic_manages(
    engine: Engine,
) -> None:
    _held_referred(engine, "p-town", "p-other")
    _referred(engine, "p-own", "p-missing")
    _cache(engine, _patient("p-own", clinic=HOSPITAL), _patient("p-unreferred"))
    with engine.connect() as connection:
        # Its own come with `Patient?organization=`; the missing one is fetched, not refreshed.
        assert referenced_cached(connection, HOSPITAL) == ["p-other", "p-town"]


def test_a_per_type_round_asks_the_cached_ones_what_changed_since_the_last_refresh(
    engine: Engine,
) -> None:
    held = [f"p-{n}" for n in range(3)]
    _held_referred(engine, *held)
    server = Server([_patient(i) for i in held])

    # First refresh: no watermark yet, so every cached referred patient is asked once.
    progress: list[str] = []
    first = fetch_referred_patients(
        engine,
        server.client(),
        HOSPITAL,
        _round(),
        lambda kind, _so_far: progress.append(kind),
        refresh=True,
        batch_size=2,
        now=NOW,
    )
    assert progress == ["Patient", "Patient"]  # after each batch, as the missing ones
    assert (first.errors, first.refreshed, first.refresh_complete) == ([], held, True)
    assert [u.params["_id"] for u in server.searches()] == ["p-0,p-1", "p-2"]
    assert all("_lastUpdated" not in u.params for u in server.searches())
    assert first.requests == 2
    assert _meta(engine, REFRESHED_KEY) == WATERMARK

    # The township corrects a birth date; the next per-type round brings only that one.
    server.requests.clear()
    server.edit("p-2", "2026-12-01T08:30:00.000Z", birthDate="1950-05-02")
    result = _round("2026-12-01T09:00:00.000Z")
    later = fetch_referred_patients(
        engine, server.client(), HOSPITAL, result, refresh=True, batch_size=2, now=NOW
    )
    assert later.errors == []
    assert [u.params["_lastUpdated"] for u in server.searches()] == [f"gt{WATERMARK}"] * 2
    assert server.reads() == []  # an id the answer lacks did not change: never read
    assert later.written == 1
    assert result.types["Patient"].written == 1
    assert _birth_date(engine, "p-2") == "1950-05-02"
    assert _meta(engine, REFRESHED_KEY) == "2026-12-01T08:59:55.000Z"


def test_without_refresh_the_cached_ones_are_not_asked(engine: Engine) -> None:
    _held_referred(engine, "p-1")
    server = Server([_patient("p-1")])

    done = fetch_referred_patients(engine, server.client(), HOSPITAL, _round(), now=NOW)

    assert (done.refreshed, done.requests, server.requests) == ([], 0, [])
    assert _meta(engine, REFRESHED_KEY) is None


def test_the_watermark_moves_only_when_every_batch_finished(engine: Engine) -> None:
    _held_referred(engine, "p-0", "p-1", "p-2")
    server = Server([_patient(i) for i in ("p-0", "p-1", "p-2")])
    server.edit("p-0", "2026-12-01T07:00:00.000Z", birthDate="1950-05-09")
    server.failing_ids = {"p-2"}

    done = fetch_referred_patients(
        engine, server.client(), HOSPITAL, _round(), refresh=True, batch_size=2, now=NOW
    )

    assert not done.refresh_complete
    assert len(done.errors) == 1
    assert "p-2" in done.errors[0]
    assert _birth_date(engine, "p-0") == "1950-05-09"  # what came through is kept
    assert _meta(engine, REFRESHED_KEY) is None  # p-2 must still be asked for all it missed

    server.failing_ids = set()
    again = fetch_referred_patients(
        engine, server.client(), HOSPITAL, _round(), refresh=True, batch_size=2, now=NOW
    )
    assert (again.errors, again.refresh_complete) == ([], True)
    assert _meta(engine, REFRESHED_KEY) == WATERMARK


def test_a_server_ignoring_id_stops_the_refresh_for_a_day_without_reading_one_by_one(
    engine: Engine,
) -> None:
    held = [f"p-{n}" for n in range(5)]
    _held_referred(engine, *held)
    others = [_patient(f"other-{n}", clinic="town-9") for n in range(50)]
    server = Server([*others, *(_patient(i) for i in held)], honours_id=False)

    done = fetch_referred_patients(
        engine, server.client(), HOSPITAL, _round(), refresh=True, batch_size=2, now=NOW
    )

    assert done.no_id_search
    assert len(server.searches()) == 1
    assert server.reads() == []
    assert [e for e in done.errors if "cannot search patients by id" in e] == done.errors
    assert len(done.errors) == 1
    assert all(_cached_gender(engine, p["id"]) is None for p in others)
    assert _meta(engine, REFRESHED_KEY) is None
    assert _meta(engine, NO_ID_SEARCH_KEY) is not None

    # Within the day nothing is asked and nothing more is said; a day on, asked again.
    server.requests.clear()
    later = fetch_referred_patients(
        engine, server.client(), HOSPITAL, _round(), refresh=True, now=NOW + timedelta(hours=23)
    )
    assert (later.no_id_search, later.errors, server.requests) == (True, [], [])
    server.honours_id = True
    next_day = fetch_referred_patients(
        engine, server.client(), HOSPITAL, _round(), refresh=True, now=NOW + timedelta(days=1)
    )
    assert (next_day.errors, next_day.refresh_complete) == ([], True)
    assert _meta(engine, NO_ID_SEARCH_KEY) is None


def test_a_round_that_found_id_ignored_does_not_search_again_to_refresh(engine: Engine) -> None:
    _held_referred(engine, "p-held")
    _referred(engine, "p-missing")
    server = Server([_patient("p-held"), _patient("p-missing")], honours_id=False)

    done = fetch_referred_patients(
        engine, server.client(), HOSPITAL, _round(), refresh=True, now=NOW
    )

    assert done.read_one_by_one
    assert done.no_id_search
    assert len(server.searches()) == 1  # the missing one's search, then its read
    assert server.reads() == ["p-missing"]
    assert len(done.errors) == 1


# ---- which rounds refresh -----------------------------------------------------------


def _patient_searches_by_id(server: Server) -> list[httpx.URL]:
    return [u for u in server.searches() if "_id" in u.params]


def test_a_round_whose_feed_ran_complete_makes_no_refresh_request(engine: Engine) -> None:
    _held_referred(engine, "p-1")
    server = Server([_patient("p-1")])
    sync = SyncEngine(engine, server.client(), clinic_id=HOSPITAL)
    first = sync.run()  # no checkpoint yet: per-type, so the first refresh runs
    assert first.errors == []
    assert len(_patient_searches_by_id(server)) == 1
    assert _meta(engine, REFRESHED_KEY) is not None

    server.requests.clear()
    second = sync.run()

    assert second.errors == []
    assert any(u.path == "/fhir/_history" for u in server.requests)  # the feed ran
    assert _patient_searches_by_id(server) == []


def test_a_round_without_system_history_refreshes_from_the_watermark(engine: Engine) -> None:
    _held_referred(engine, "p-1")
    server = Server([_patient("p-1")])
    server.system_history = False
    sync = SyncEngine(engine, server.client(), clinic_id=HOSPITAL)
    sync.run()
    watermark = _meta(engine, REFRESHED_KEY)
    server.edit("p-1", "2026-12-01T07:30:00.000Z", birthDate="1950-05-03")
    server.requests.clear()

    report = sync.run()

    assert report.errors == []
    [asked] = _patient_searches_by_id(server)
    assert (asked.params["_id"], asked.params["_lastUpdated"]) == ("p-1", f"gt{watermark}")
    assert _birth_date(engine, "p-1") == "1950-05-03"
