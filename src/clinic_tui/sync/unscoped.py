"""A scoped search the server did not honour: keep only what the clinic's scope holds.

FHIR R4 lets a server ignore a search parameter it does not support, and asks it to say so
in the searchset as an OperationOutcome entry (search.mode 'outcome'; search.html, "Handling
Errors"). sekmet-fhir 0.1.1 does that for every parameter of QuestionnaireResponse (it names
none in its CapabilityStatement): `QuestionnaireResponse?patient.organization=Organization/X`
answers 200 with every clinic's records and the warning "Unknown search parameter 'patient'
for QuestionnaireResponse; parameter ignored" (tests/integration/test_followup_sync.py).
A clinic's cache must not take another clinic's patients' records because a server could
not filter them, so such a page is filtered here by the scope's own rules (scope.in_scope):
the clinic's patients are those cached with its managingOrganization. A record of a patient
not cached yet may be one of this clinic's whose Patient has not come down in this round:
the download then keeps the query's watermark where it was, so the next round reads it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from clinic_tui.offline_cache.tables import PatientRow
from clinic_tui.sync.client import BundlePage
from clinic_tui.sync.scope import PATIENT_COMPARTMENT, SyncScope, in_scope, referenced_id

_PATIENT: Any = PatientRow.__table__  # type: ignore[attr-defined]

Resource = dict[str, Any]


def ignored_parameters(page: BundlePage) -> list[str]:
    """What the server says it did not support in this search (empty: nothing)."""
    found = []
    for entry in page.entries:
        search = entry.get("search")
        resource = entry.get("resource")
        if not isinstance(search, dict) or search.get("mode") != "outcome":
            continue
        if not isinstance(resource, dict) or resource.get("resourceType") != "OperationOutcome":
            continue
        for issue in resource.get("issue") or []:
            if isinstance(issue, dict) and issue.get("code") == "not-supported":
                found.append(str(issue.get("diagnostics") or "not-supported"))
    return found


def needs_filter(scope: SyncScope | None, resource_type: str, page: BundlePage) -> bool:
    """True when a clinic's page of a patient's records comes from a search not honoured."""
    return (
        scope is not None
        and scope.clinic_id is not None
        and resource_type in PATIENT_COMPARTMENT
        and bool(ignored_parameters(page))
    )


def clinic_patients(connection: Connection, scope: SyncScope, ids: Iterable[str]) -> set[str]:
    """Those of `ids` cached as the clinic's own patients (managingOrganization).

    A patient referred here by another clinic is cached too (sync/referred_patients.py),
    but its records stay with that clinic: the searches (`patient.organization=`) do not
    bring them, so neither does the feed, or the cache would depend on which path ran.
    """
    wanted = list(dict.fromkeys(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        rows = connection.execute(
            select(_PATIENT.c.id).where(
                _PATIENT.c.id.in_(wanted[start : start + 500]),
                _PATIENT.c.organization_id == scope.clinic_id,
            )
        )
        found.update(str(ident) for (ident,) in rows)
    return found


def _patient_of(resource: Resource) -> str | None:
    return referenced_id(resource.get("subject") or resource.get("patient"), "Patient")


def in_clinic_scope(
    connection: Connection, scope: SyncScope, resources: list[Resource], held: set[str]
) -> tuple[list[bool], bool]:
    """Which `resources` the clinic's cache takes, and whether a patient was unknown.

    `held`: ids already cached (their updates are always taken, as the feed takes them).
    """
    wanted = {p for r in resources if (p := _patient_of(r))}
    ours = clinic_patients(connection, scope, wanted)
    known = ours | _cached(connection, wanted - ours)
    unknown = False
    kept = []
    for resource in resources:
        take = resource.get("id") in held or bool(in_scope(scope, resource, ours.__contains__))
        patient = _patient_of(resource)
        if not take and patient is not None and patient not in known:
            unknown = True
        kept.append(take)
    return kept, unknown


def _cached(connection: Connection, ids: Iterable[str]) -> set[str]:
    wanted = list(ids)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        rows = connection.execute(
            select(_PATIENT.c.id).where(_PATIENT.c.id.in_(wanted[start : start + 500]))
        )
        found.update(str(ident) for (ident,) in rows)
    return found
