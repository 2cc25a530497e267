"""How the changes feed reads history: the newest version per record, deletions by URL."""

from __future__ import annotations

from typing import Any

from clinic_tui.sync.feed import Latest, _collect, _older_than_delete


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
