"""A scoped search the server said it ignored: the page is filtered by the clinic's scope.

The page shape is the real server's (tests/integration/test_followup_sync.py meets it):
sekmet answers `QuestionnaireResponse?patient.organization=` with every clinic's records
and an OperationOutcome entry "not-supported". What cannot be made to happen on demand
with a real server is the order of arrival (a record before its Patient in the same round),
so the writer is fed pages directly here.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.sync.cache_io import read_watermarks
from clinic_tui.sync.client import BundlePage
from clinic_tui.sync.download import TypeWriter, _Page
from clinic_tui.sync.scope import SyncScope

Resource = dict[str, Any]
KEY = "QuestionnaireResponse?patient.organization=org-a"
IGNORED: dict[str, Any] = {
    "resourceType": "OperationOutcome",
    "id": "oo",
    "issue": [
        {
            "severity": "warning",
            "code": "not-supported",
            "diagnostics": "Unknown search parameter 'patient' for QuestionnaireResponse;"
            " parameter ignored",
        }
    ],
}


def _answers(ident: str, patient_id: str, second: int) -> dict[str, Any]:
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": ident,
        "meta": {"versionId": "1", "lastUpdated": f"2026-12-07T08:00:{second:02d}.000Z"},
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    return {"resource": resource, "search": {"mode": "match"}}


def _page(*, said: bool) -> _Page:
    entries = [
        _answers("qr-ours", "p-ours", 1),
        _answers("qr-theirs", "p-theirs", 2),
        _answers("qr-unknown", "p-unknown", 3),
    ]
    if said:
        entries.append({"resource": IGNORED, "search": {"mode": "outcome"}})
    page = BundlePage(entries=entries, next_url=None, total=None, server_time=None)
    return _Page("QuestionnaireResponse", KEY, page, "2026-12-07T08:00:03.000Z")


@pytest.fixture
def cache(engine: Engine) -> Engine:
    """Clinic org-a's patient p-ours, and p-theirs of org-b (a referred patient)."""
    with engine.begin() as connection:
        upsert_resources(
            connection,
            [
                {
                    "resourceType": "Patient",
                    "id": ident,
                    "managingOrganization": {"reference": f"Organization/{org}"},
                }
                for ident, org in (("p-ours", "org-a"), ("p-theirs", "org-b"))
            ],
        )
    return engine


def _cached(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id FROM questionnaire_response")).all()
    return {str(row[0]) for row in rows}


def _watermark(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return read_watermarks(connection, KEY).watermark


def test_an_ignored_scope_keeps_only_the_clinics_patients_records(cache: Engine) -> None:
    writer = TypeWriter(cache, "QuestionnaireResponse", scope=SyncScope("org-a"))

    writer.write_page(_page(said=True))

    assert _cached(cache) == {"qr-ours"}
    assert writer.result.left_out == 2
    assert writer.result.ignored == [IGNORED["issue"][0]["diagnostics"]]
    assert _watermark(cache) == "2026-12-07T08:00:03.000Z"


def test_a_patient_not_yet_down_this_round_keeps_the_watermark(cache: Engine) -> None:
    writer = TypeWriter(
        cache, "QuestionnaireResponse", scope=SyncScope("org-a"), patients_ready=lambda: False
    )

    writer.write_page(_page(said=True))

    assert _cached(cache) == {"qr-ours"}
    assert _watermark(cache) is None  # the next round reads qr-unknown again


def test_a_page_the_server_says_it_filtered_is_taken_whole(cache: Engine) -> None:
    writer = TypeWriter(cache, "QuestionnaireResponse", scope=SyncScope("org-a"))

    writer.write_page(_page(said=False))

    assert _cached(cache) == {"qr-ours", "qr-theirs", "qr-unknown"}
    assert writer.result.left_out == 0


def test_an_unscoped_cache_takes_everything(cache: Engine) -> None:
    writer = TypeWriter(cache, "QuestionnaireResponse", scope=SyncScope(None))

    writer.write_page(_page(said=True))

    assert _cached(cache) == {"qr-ours", "qr-theirs", "qr-unknown"}
