"""How the changes feed reads history: the newest version per record, deletions by URL."""

from __future__ import annotations

from datetime import date
from typing import Any

from clinic_tui.sync.feed import Latest, _collect, _older_than_delete
from clinic_tui.sync.scope import SyncScope, in_scope, referenced_id


def _version(kind: str, ident: str, version: int, **resource: Any) -> dict[str, Any]:
    return {
        "fullUrl": f"https://fhir.example.org/fhir/{kind}/{ident}",
        "resource": {"resourceType": kind, "id": ident, **resource},
        "request": {"method": "PUT", "url": f"{kind}/{ident}"},
        "response": {"status": "200 OK", "etag": f'W/"{version}"'},
    }


def _deletion(kind: str, ident: str, version: int) -> dict[str, Any]:
    return {
        "fullUrl": f"https://fhir.example.org/fhir/{kind}/{ident}",
        "request": {"method": "DELETE", "url": f"{kind}/{ident}"},
        "response": {"status": "204 No Content", "etag": f'W/"{version}"'},
    }


def test_the_newest_version_of_each_record_wins_whatever_the_order() -> None:
    latest: Latest = {}
    _collect(
        [
            _version("Patient", "p1", 3, gender="male"),
            _version("Patient", "p1", 2, gender="female"),
            _version("Patient", "p2", 1),
            _deletion("Patient", "p2", 2),
        ],
        {"Patient"},
        latest,
    )

    rank, entry, is_delete = latest[("Patient", "p1")]
    assert (rank, entry["resource"]["gender"], is_delete) == (3, "male", False)
    assert latest[("Patient", "p2")][0::2] == (2, True)


def test_types_the_cache_does_not_keep_are_left_out() -> None:
    latest: Latest = {}
    _collect([_version("Subscription", "s1", 1), _deletion("Basic", "b1", 4)], {"Patient"}, latest)

    assert latest == {}


def test_a_deletion_is_placed_by_its_url_alone() -> None:
    latest: Latest = {}
    entry = _deletion("Observation", "o1", 5)
    del entry["fullUrl"]
    _collect([entry], {"Observation"}, latest)

    assert latest[("Observation", "o1")][0::2] == (5, True)


def test_versions_up_to_a_delete_made_here_are_stale_news() -> None:
    # The delete went up against version 4; the server's deletion is version 5.
    assert _older_than_delete(4, "4")
    assert _older_than_delete(5, "4")
    assert not _older_than_delete(6, "4")  # someone created it again afterwards
    assert _older_than_delete(9, None)  # nothing to compare with: the delete is the news


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
