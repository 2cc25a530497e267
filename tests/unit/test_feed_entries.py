"""How the changes feed reads history: the newest version per record, deletions by URL."""

from __future__ import annotations

from datetime import date
from typing import Any

from clinic_tui.sync.feed import (
    FeedVersion,
    Versions,
    WrittenHere,
    _collect,
    _news_after_our_write,
    newest,
)
from clinic_tui.sync.scope import SyncScope, in_scope, referenced_id

Entry = dict[str, Any]


def _version(
    kind: str, ident: str, version: str, when: str | None = None, **resource: Any
) -> Entry:
    entry: Entry = {
        "fullUrl": f"https://fhir.example.org/fhir/{kind}/{ident}",
        "resource": {"resourceType": kind, "id": ident, **resource},
        "request": {"method": "PUT", "url": f"{kind}/{ident}"},
        "response": {"status": "200 OK", "etag": f'W/"{version}"'},
    }
    if when is not None:
        entry["response"]["lastModified"] = when
    return entry


def _deletion(kind: str, ident: str, version: str, when: str | None = None) -> Entry:
    entry: Entry = {
        "fullUrl": f"https://fhir.example.org/fhir/{kind}/{ident}",
        "request": {"method": "DELETE", "url": f"{kind}/{ident}"},
        "response": {"status": "204 No Content", "etag": f'W/"{version}"'},
    }
    if when is not None:
        entry["response"]["lastModified"] = when
    return entry


def _chosen(versions: Versions, kind: str, ident: str) -> tuple[str | None, bool]:
    found = newest(versions[(kind, ident)])
    return found.version, found.is_delete


def test_the_newest_version_is_told_by_the_servers_stamps_never_by_its_id() -> None:
    # Opaque ids, as Medplum writes them; the larger-looking id is the older version.
    versions: Versions = {}
    _collect(
        [
            _version("Patient", "p1", "9f1c", "2026-11-24T09:00:00.100Z", gender="female"),
            _version("Patient", "p1", "0a2b", "2026-11-24T09:00:00.200Z", gender="male"),
            _version("Patient", "p2", "zz", "2026-11-24T09:00:01.000Z"),
            _deletion("Patient", "p2", "aa", "2026-11-24T09:00:02.000Z"),
        ],
        {"Patient"},
        versions,
    )

    assert _chosen(versions, "Patient", "p1") == ("0a2b", False)
    assert _chosen(versions, "Patient", "p2") == ("aa", True)


def test_without_stamps_the_history_order_decides_newest_first() -> None:
    versions: Versions = {}
    _collect(
        [_version("Patient", "p1", "2", gender="male"), _version("Patient", "p1", "10")],
        {"Patient"},
        versions,
    )

    # R4 lists history newest first: "2" came after "10" here, whatever the digits say.
    assert _chosen(versions, "Patient", "p1") == ("2", False)


def test_types_the_cache_does_not_keep_are_left_out() -> None:
    versions: Versions = {}
    _collect(
        [_version("Subscription", "s1", "1"), _deletion("Basic", "b1", "4")], {"Patient"}, versions
    )

    assert versions == {}


def test_a_deletion_is_placed_by_its_url_alone() -> None:
    versions: Versions = {}
    entry = _deletion("Observation", "o1", "v5")
    del entry["fullUrl"]
    _collect([entry], {"Observation"}, versions)

    assert _chosen(versions, "Observation", "o1") == ("v5", True)


def _listed(*entries: Entry) -> list[FeedVersion]:
    versions: Versions = {}
    _collect(list(entries), {"Patient"}, versions)
    return versions[("Patient", "p1")]


def test_a_feed_answered_before_our_upload_landed_holds_nothing_newer() -> None:
    # Our PUT was answered "c3"; the feed crossed it on the wire and lists only older ones.
    listed = _listed(_version("Patient", "p1", "b2"), _version("Patient", "p1", "a1"))

    assert _news_after_our_write(listed, WrittenHere("c3")) is None


def test_what_the_feed_lists_after_our_write_is_newer_and_taken() -> None:
    listed = _listed(
        _version("Patient", "p1", "d4", gender="male"),
        _version("Patient", "p1", "c3"),
        _version("Patient", "p1", "b2"),
    )

    chosen = _news_after_our_write(listed, WrittenHere("c3"))
    assert chosen is not None
    assert chosen.version == "d4"
    assert _news_after_our_write(listed[1:], WrittenHere("c3")) is None  # ours is the newest


def test_versions_up_to_a_delete_made_here_are_stale_news() -> None:
    deleted = WrittenHere(None, deleted=True)
    assert _news_after_our_write(_listed(_version("Patient", "p1", "x")), deleted) is None
    stale = _listed(_deletion("Patient", "p1", "y"), _version("Patient", "p1", "x"))
    assert _news_after_our_write(stale, deleted) is None
    again = _listed(
        _version("Patient", "p1", "z"),
        _deletion("Patient", "p1", "y"),
        _version("Patient", "p1", "x"),
    )
    chosen = _news_after_our_write(again, deleted)  # someone created it again afterwards
    assert chosen is not None
    assert chosen.version == "z"


def test_references_are_read_in_every_form_a_server_writes() -> None:
    assert referenced_id({"reference": "Patient/p1"}, "Patient") == "p1"
    assert referenced_id({"reference": "https://h.example/fhir/Patient/p1"}, "Patient") == "p1"
    assert referenced_id({"reference": "Patient/p1/_history/3"}, "Patient") == "p1"
    assert referenced_id({"reference": "Group/g1"}, "Patient") is None
    assert referenced_id({"identifier": {"value": "430124"}}, "Patient") is None
    assert referenced_id(None, "Patient") is None


def test_a_clinic_judges_a_new_record_as_its_searches_would() -> None:
    scope = SyncScope(clinic_id="org-a", encounter_days=30)
    held = {"p-a"}.__contains__
    today = date(2026, 11, 24)

    def encounter(provider: str, patient: str, start: str | None) -> dict[str, Any]:
        found: dict[str, Any] = {
            "resourceType": "Encounter",
            "serviceProvider": {"reference": f"Organization/{provider}"},
            "subject": {"reference": f"Patient/{patient}"},
        }
        if start is not None:
            found["period"] = {"start": start}
        return found

    assert in_scope(scope, encounter("org-a", "p-x", "2026-11-20T09:00:00+08:00"), held, today)
    assert in_scope(scope, encounter("hosp", "p-a", "2026-11-20T09:00:00+08:00"), held, today)
    assert not in_scope(scope, encounter("hosp", "p-x", "2026-11-20"), held, today)
    assert not in_scope(scope, encounter("org-a", "p-a", "2024-01-02"), held, today)
    assert in_scope(scope, encounter("org-a", "p-a", "soon"), held, today) is None
    assert not in_scope(scope, encounter("org-a", "p-a", None), held, today)
    task = {"resourceType": "Task", "owner": {"reference": "Organization/org-a"}}
    assert in_scope(scope, task, held, today)
    referral = {"resourceType": "ServiceRequest", "performer": [{"reference": "Organization/b"}]}
    assert not in_scope(scope, referral, held, today)
    assert in_scope(scope, {"resourceType": "Basic"}, held, today) is None
