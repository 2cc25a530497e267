"""What a clinic downloads: the server-side searches that restrict each resource type.

With a clinic (an Organization id) the download takes its organization's patients
and their records, referrals to or from it, and recent encounters; without one,
every record the server lets the user read, as before. A patient another clinic
referred here (named by a ServiceRequest it performs or a Task it owns) comes down
too, by id, but not that patient's records, which stay with its own clinic
(sync/referred_patients.py; the changes feed keeps the same rule).

What sekmet-fhir 0.1.1 honours, probed by results (it answers 200 and ignores a
parameter it does not know, e.g. `Patient?bogus=x` returns every patient):
- `Patient?organization=X` (id or `Organization/X`): honoured.
- chained `Condition?patient.organization=X` (also `subject:Patient.organization`,
  `patient:Patient.organization`): honoured, with `_lastUpdated`, `_sort` and the
  offset `next` links kept; so the patient-compartment types need no id batches.
- `patient=a,b` and `subject=Patient/a,Patient/b` (comma = or): honoured; `_has`: ignored
  (returns nothing useful); POST `_search` with a form body: 400.
- `DocumentReference?patient.organization=X`: honoured (consultation notes). The same on
  Composition is ignored (every Composition comes back), hence notes are DocumentReferences.
- `Encounter?service-provider=X`: honoured. `Encounter?date=geD` does NOT cut old
  encounters (an open period overlaps every later date; `gt`, `eq` likewise), but
  `date=saD` (starts after D) does: recent encounters use `sa`.
- `ServiceRequest?requester=X` / `performer=X` and `Task?requester=X` / `owner=X`:
  honoured (one query each; the two are merged by id in the download). A follow-up is a
  Task the township owns, so it comes with them.
- `Communication?sender=X` / `recipient=X`: a referral's thread, sent or received
  (checked against sekmet in tests/integration/test_referral_round_trip.py).
- `EpisodeOfCare?patient.organization=X`: honoured (EpisodeOfCare declares patient,
  organization and care-manager). `QuestionnaireResponse?patient.organization=X`: NOT
  honoured, though R4 defines `patient` there: sekmet declares no QuestionnaireResponse
  search parameter and answers 200 with every clinic's records and an OperationOutcome
  entry "Unknown search parameter 'patient' for QuestionnaireResponse; parameter ignored"
  (400 with `Prefer: handling=strict`). The download filters such a page by this module's
  in_scope (sync/unscoped.py; tests/integration/test_followup_sync.py).
Every clinic parameter is sent as `Organization/X`, which every server must accept; a
bare id is ambiguous for a parameter that may point at several types.

Each scoped query keeps its own watermark in sync_state under `key` (the type plus
the scope's parameters), so a changed scope downloads what is newly in scope from
the beginning; the unscoped query keeps the plain type name, as before. The moving
encounter cut-off date is left out of the key: a record that moves into the window
is updated, so its lastUpdated passes the watermark anyway. Records already cached
that fall out of scope are kept (nothing is pruned).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from clinic_tui.i18n import N_

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEFAULT_ENCOUNTER_DAYS = 365
"""How far back encounters are downloaded for a clinic ([sync] encounter_days)."""

PATIENT_COMPARTMENT = (
    "Condition",
    "AllergyIntolerance",
    "Observation",
    "MedicationRequest",
    N_("DocumentReference"),
    "EpisodeOfCare",
    "QuestionnaireResponse",
)
"""Types scoped to the clinic's patients by the chained `patient.organization`."""

WHOLE = ("Organization", "Practitioner")
"""Master data, small and shared: always downloaded whole."""


@dataclass(frozen=True)
class ScopedQuery:
    """One search of one resource type; `key` names its watermark in sync_state."""

    resource_type: str
    params: tuple[tuple[str, str], ...] = ()
    key: str = ""

    @property
    def watermark_key(self) -> str:
        """The sync_state row of this query (the bare type when unscoped)."""
        return self.key or self.resource_type


@dataclass(frozen=True)
class SyncScope:
    """The part of the server a cache downloads; clinic_id None means everything."""

    clinic_id: str | None = None
    encounter_days: int = DEFAULT_ENCOUNTER_DAYS

    def queries(self, resource_type: str, today: date | None = None) -> list[ScopedQuery]:
        """The searches that bring this type's in-scope records (deduplicated by id)."""
        clinic = self.clinic_id
        if clinic is None or resource_type in WHOLE:
            return [ScopedQuery(resource_type)]
        if resource_type == "Patient":
            return [self._query(resource_type, ("organization", clinic))]
        if resource_type in PATIENT_COMPARTMENT:
            return [self._query(resource_type, ("patient.organization", clinic))]
        if resource_type == "Encounter":
            # `sa` the day before the cut-off = starting on or after it (see the docstring).
            since = (today or date.today()) - timedelta(days=self.encounter_days + 1)
            recent = ("date", f"sa{since.isoformat()}")
            window = f"&recent-days={self.encounter_days}"
            return [
                self._query(resource_type, ("service-provider", clinic), recent, window),
                self._query(resource_type, ("patient.organization", clinic), recent, window),
            ]
        if resource_type == "ServiceRequest":
            return [
                self._query(resource_type, ("requester", clinic)),
                self._query(resource_type, ("performer", clinic)),
            ]
        if resource_type == "Task":
            return [
                self._query(resource_type, ("requester", clinic)),
                self._query(resource_type, ("owner", clinic)),
            ]
        if resource_type == "Communication":
            return [
                self._query(resource_type, ("sender", clinic)),
                self._query(resource_type, ("recipient", clinic)),
            ]
        # A type this module does not know: everything, as without a clinic.
        return [ScopedQuery(resource_type)]

    @staticmethod
    def _query(
        resource_type: str,
        scope: tuple[str, str],
        moving: tuple[str, str] | None = None,
        key_suffix: str = "",
    ) -> ScopedQuery:
        # Sent as `Organization/<id>`: requester, performer and owner may point at several
        # types, and FHIR R4 (search.html#reference) leaves a bare id ambiguous there; a
        # server may match nothing (Medplum's router does). The key keeps the bare id, so
        # caches made before this keep their watermarks.
        name, clinic = scope
        sent = (name, f"Organization/{clinic}")
        params = (sent,) if moving is None else (sent, moving)
        key = f"{resource_type}?{name}={clinic}{key_suffix}"
        return ScopedQuery(resource_type, params, key)


def referenced_id(reference: Any, kind: str) -> str | None:
    """The id a FHIR Reference names when it points at a `kind` (relative or absolute URL)."""
    target = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(target, str):
        return None  # a logical reference (identifier only) matches no reference search
    parts = target.split("?", 1)[0].rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]  # Type/id/_history/n
    if len(parts) >= 2 and parts[-2] == kind and parts[-1]:
        return parts[-1]
    return None


def _references(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def in_scope(
    scope: SyncScope,
    resource: dict[str, Any],
    patient_in_scope: Callable[[str], bool],
    today: date | None = None,
) -> bool | None:
    """Whether a record new to a clinic's cache is one its scoped searches would bring.

    The same rules as SyncScope.queries, read from the record: the clinic's patients
    (managingOrganization), their records (subject or patient), encounters of the clinic
    or its patients since the window began (a day more, never less), referrals and tasks
    from or to the clinic. None when only the server can tell (a type this module does not
    know, an encounter start it cannot read): then the type's searches run.
    """
    clinic, kind = scope.clinic_id, resource.get("resourceType")
    if clinic is None or kind in WHOLE:
        return True
    if kind == "Patient":
        return referenced_id(resource.get("managingOrganization"), "Organization") == clinic
    if kind in PATIENT_COMPARTMENT:
        patient = referenced_id(resource.get("subject") or resource.get("patient"), "Patient")
        return patient is not None and patient_in_scope(patient)
    if kind == "Encounter":
        provider = referenced_id(resource.get("serviceProvider"), "Organization")
        patient = referenced_id(resource.get("subject"), "Patient")
        if provider != clinic and (patient is None or not patient_in_scope(patient)):
            return False
        start = (resource.get("period") or {}).get("start")
        try:
            started = date.fromisoformat(str(start)[:10])
        except ValueError:
            return False if start is None else None  # no start: `date=sa` matches nothing
        cutoff = (today or date.today()) - timedelta(days=scope.encounter_days + 1)
        return started >= cutoff
    if kind == "ServiceRequest":
        sides = [resource.get("requester"), *_references(resource.get("performer"))]
        return any(referenced_id(side, "Organization") == clinic for side in sides)
    if kind == "Task":
        parties = (resource.get("requester"), resource.get("owner"))
        return any(referenced_id(party, "Organization") == clinic for party in parties)
    if kind == "Communication":
        people = [resource.get("sender"), *_references(resource.get("recipient"))]
        return any(referenced_id(party, "Organization") == clinic for party in people)
    return None


def stored_clinic_id(engine: Engine) -> str | None:
    """The clinic the cache was made for (cache_meta clinic_id), as ClinicCache reads it."""
    from sqlalchemy import select

    from clinic_tui.offline_cache.tables import CacheMeta

    meta: Any = CacheMeta.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        found = connection.execute(
            select(meta.c.value).where(meta.c.key == "clinic_id")
        ).scalar_one_or_none()
    return str(found) if found else None


def remember_clinic(engine: Engine, clinic_id: str) -> None:
    """Note in the cache that it downloads `clinic_id`'s records (cache_meta clinic_id).

    A cache synced for a clinic named only by the settings or CLINIC_TUI_CLINIC did not
    know its clinic when opened without them: its charts then took a referred patient's
    missing records for "none recorded" (no "records kept at" notice), and its next sync
    ran unscoped. The demo and a hospital cache made by hand wrote the key; a sync did not.
    """
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from clinic_tui.offline_cache.tables import CacheMeta

    if stored_clinic_id(engine) == clinic_id:
        return  # the usual round writes nothing
    meta: Any = CacheMeta.__table__  # type: ignore[attr-defined]
    statement = sqlite_insert(meta).values(key="clinic_id", value=clinic_id)
    with engine.begin() as connection:
        connection.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_={"value": clinic_id})
        )


def resolve_scope(
    engine: Engine, clinic_id: str | None, encounter_days: int | None = None
) -> SyncScope:
    """The scope of a sync: the configured clinic, else the cache's own, else everything."""
    return SyncScope(
        clinic_id=clinic_id or stored_clinic_id(engine),
        encounter_days=DEFAULT_ENCOUNTER_DAYS if encounter_days is None else encounter_days,
    )
