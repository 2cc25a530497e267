"""Chart edits: every change is the record and its outbox entry, written in one transaction.

Each method builds the FHIR JSON with domain.chart_resources (starting from the
cached JSON for an update, so nothing the app does not model is lost) and
stores it with store.write_local_change, which marks it unsynced and queues it.
A failure anywhere rolls the whole change back: nothing is saved half-way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from clinic_tui.domain import chart_resources as fhir_out
from clinic_tui.domain.chart_entry import (
    AllergyEntry,
    ConditionEntry,
    CurrentVisit,
    DemographicsEntry,
    NoteEntry,
    RecordedAllergy,
    RecordedProblem,
    VisitRecord,
)
from clinic_tui.domain.fhir import Resource, concept_code, reference_id
from clinic_tui.domain.models import Clinic, VisitSummary
from clinic_tui.domain.vital_entry import VitalsEntry
from clinic_tui.i18n import N_
from clinic_tui.offline_cache.chart_repository import VITAL_ALIASES, VITAL_CODES
from clinic_tui.offline_cache.store import read_resource, write_local_change
from clinic_tui.offline_cache.tables import (
    AllergyIntoleranceRow,
    ConditionRow,
    DocumentReferenceRow,
    EncounterRow,
    MedicationRequestRow,
    ObservationRow,
    OrganizationRow,
)

HISTORY_LIMIT = 500
"""Most visits the history lists (twenty years of monthly follow-ups fit)."""

OPEN_VISIT_STATUSES = ("in-progress", "arrived", "triaged", "planned", "onleave")
"""Encounter states of a visit still under way (the first one found is 'this visit')."""


class ChartEditError(ValueError):
    """A change the chart refuses, with a message for the person who asked for it."""


def _table(model: Any) -> Any:
    return model.__table__


def _new_id() -> str:
    # Client-assigned UUIDs: the upload PUTs them, so a retried create never duplicates.
    return str(uuid.uuid4())


def _moment(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.astimezone()


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text and len(text) >= 10 else None
    except ValueError:
        return None


class ChartEditor:
    """Writes one patient's chart changes into the cache, each with its outbox entry."""

    def __init__(
        self,
        engine: Engine,
        clinic: Clinic,
        practitioner_id: str | None = None,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self.engine = engine
        self.clinic = clinic
        self.practitioner_id = practitioner_id
        """The signed-in clinician ([clinic] practitioner_id): a note's author when known."""
        self.new_id = new_id

    # ----- reading what the forms start from --------------------------------------------------

    def current_visit(self, patient_id: str, today: date) -> CurrentVisit | None:
        """Today's open visit of the patient at this clinic (in consultation first), if any."""
        encounter = _table(EncounterRow)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    encounter.c.id,
                    encounter.c.status,
                    encounter.c.chief_complaint,
                    encounter.c.pending,
                    encounter.c.priority,
                ).where(
                    encounter.c.patient_id == patient_id,
                    encounter.c.organization_id == self.clinic.id,
                    encounter.c.queue_date == today.isoformat(),
                    encounter.c.status.in_(OPEN_VISIT_STATUSES),
                )
            ).all()
            if not rows:
                return None
            row = min(rows, key=lambda r: OPEN_VISIT_STATUSES.index(r.status))
            note_id, note = self._note_of_visit(connection, row.id)
            note_pending = False
            if note_id is not None:
                table = _table(DocumentReferenceRow)
                note_pending = bool(
                    connection.execute(
                        select(table.c.pending).where(table.c.id == note_id)
                    ).scalar_one()
                )
            diagnoses = self._visit_diagnoses(connection, patient_id, row.id)
        return CurrentVisit(
            encounter_id=row.id,
            status=row.status,
            chief_complaint=row.chief_complaint,
            note_id=note_id,
            note=note,
            pending=bool(row.pending),
            note_pending=note_pending,
            diagnoses=tuple(diagnoses),
            priority=row.priority,
        )

    @staticmethod
    def _note_of_visit(
        connection: Connection, encounter_id: str
    ) -> tuple[str | None, NoteEntry | None]:
        table = _table(DocumentReferenceRow)
        found = connection.execute(
            select(table.c.id, table.c.resource_json)
            .where(table.c.encounter_id == encounter_id, table.c.status == "current")
            .order_by(table.c.date.desc())
        ).first()
        if found is None:
            return None, None
        return found.id, fhir_out.note_of(json.loads(found.resource_json))

    def problems(self, patient_id: str) -> list[RecordedProblem]:
        """The patient's problems (entered-in-error ones left out), active first."""
        table = _table(ConditionRow)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table).where(table.c.patient_id == patient_id).order_by(table.c.onset.desc())
            ).all()
        found = []
        for row in rows:
            verification = concept_code(json.loads(row.resource_json).get("verificationStatus"))
            if verification == "entered-in-error":
                continue
            found.append(
                RecordedProblem(
                    id=row.id,
                    code=row.code,
                    display=row.display,
                    clinical_status=row.clinical_status,
                    verification=verification or "confirmed",
                    onset=_date(row.onset),
                    pending=bool(row.pending),
                )
            )
        found.sort(key=lambda p: p.clinical_status not in ("active", "recurrence", "relapse"))
        return found

    def allergies(self, patient_id: str) -> list[RecordedAllergy]:
        """Active allergies and 'no known allergy' statements (never entered-in-error ones)."""
        table = _table(AllergyIntoleranceRow)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table)
                .where(table.c.patient_id == patient_id, table.c.clinical_status == "active")
                .order_by(table.c.display)
            ).all()
        return [
            RecordedAllergy(
                id=row.id,
                substance=row.display or row.code or "?",
                criticality=row.criticality,
                reaction=row.reaction,
                no_known=bool(row.no_known),
                pending=bool(row.pending),
            )
            for row in rows
            if concept_code(json.loads(row.resource_json).get("verificationStatus"))
            not in ("entered-in-error", "refuted")
        ]

    def demographics(self, patient_id: str) -> DemographicsEntry | None:
        """The patient's phone, address and contact as the correction form starts from them."""
        with self.engine.connect() as connection:
            patient = read_resource(connection, "Patient", patient_id)
        return fhir_out.demographics_of(patient) if patient is not None else None

    def last_height(self, patient_id: str) -> float | None:
        """The most recent body height (cm), for an adult's BMI."""
        table = _table(ObservationRow)
        with self.engine.connect() as connection:
            value = connection.execute(
                select(table.c.value)
                .where(table.c.patient_id == patient_id, table.c.code == "8302-2")
                .order_by(table.c.effective.desc())
                .limit(1)
            ).scalar_one_or_none()
        return float(value) if value is not None else None

    # ----- problems ----------------------------------------------------------------------------

    def add_condition(
        self,
        patient_id: str,
        entry: ConditionEntry,
        now: datetime,
        encounter_id: str | None,
    ) -> str:
        """Record a diagnosis (linked to the visit when `entry.this_visit`); returns its id."""
        ident = self.new_id()
        resource = self._signed(
            fhir_out.new_condition(ident, patient_id, entry, now, encounter_id), "recorder"
        )
        with self.engine.begin() as connection:
            self._require(connection, "Patient", patient_id)
            write_local_change(connection, resource, "create")
        return ident

    def change_condition(
        self, condition_id: str, clinical_status: str, verification: str, today: date
    ) -> None:
        """Resolve, reactivate, re-verify or mark a problem entered-in-error (never deleted)."""
        with self.engine.begin() as connection:
            before = self._require(connection, "Condition", condition_id)
            after = fhir_out.condition_with_status(before, clinical_status, verification, today)
            if after != before:
                write_local_change(connection, after, "update")

    # ----- allergies ---------------------------------------------------------------------------

    def add_allergy(self, patient_id: str, entry: AllergyEntry, now: datetime) -> str:
        """Record an allergy; a 'no known allergy' statement on file becomes inactive with it."""
        ident = self.new_id()
        with self.engine.begin() as connection:
            self._require(connection, "Patient", patient_id)
            for statement in self._active_allergy_rows(connection, patient_id, no_known=True):
                before = json.loads(statement.resource_json)
                write_local_change(connection, fhir_out.allergy_inactive(before), "update")
            resource = self._signed(fhir_out.new_allergy(ident, patient_id, entry, now), "recorder")
            write_local_change(connection, resource, "create")
        return ident

    def record_no_known_allergies(self, patient_id: str, now: datetime) -> str | None:
        """State 'no known allergies'; refused while allergies are recorded. None if already so."""
        with self.engine.begin() as connection:
            self._require(connection, "Patient", patient_id)
            if self._active_allergy_rows(connection, patient_id, no_known=False):
                raise ChartEditError(
                    N_("Allergies are recorded: mark each entered in error before stating none")
                )
            if self._active_allergy_rows(connection, patient_id, no_known=True):
                return None
            ident = self.new_id()
            write_local_change(
                connection,
                self._signed(fhir_out.no_known_allergies(ident, patient_id, now), "recorder"),
                "create",
            )
        return ident

    def allergy_entered_in_error(self, allergy_id: str) -> None:
        """Withdraw an allergy recorded by mistake: kept, marked entered-in-error, not deleted."""
        with self.engine.begin() as connection:
            before = self._require(connection, "AllergyIntolerance", allergy_id)
            write_local_change(connection, fhir_out.allergy_entered_in_error(before), "update")

    @staticmethod
    def _active_allergy_rows(
        connection: Connection, patient_id: str, *, no_known: bool
    ) -> list[Any]:
        table = _table(AllergyIntoleranceRow)
        rows = connection.execute(
            select(table.c.id, table.c.resource_json).where(
                table.c.patient_id == patient_id,
                table.c.clinical_status == "active",
                table.c.no_known == no_known,
            )
        ).all()
        excluded = ("entered-in-error", "refuted")
        return [
            row
            for row in rows
            if concept_code(json.loads(row.resource_json).get("verificationStatus")) not in excluded
        ]

    # ----- vital signs -------------------------------------------------------------------------

    def record_vitals(
        self,
        patient_id: str,
        entry: VitalsEntry,
        now: datetime,
        encounter_id: str | None,
        height_for_bmi: float | None = None,
    ) -> list[str]:
        """One Observation per measurement (and BMI when derivable), all or none; their ids."""
        if entry.empty:
            raise ChartEditError(N_("Enter at least one vital sign"))
        ids = [self.new_id() for _ in range(len(entry.values) + 1)]
        observations = [
            self._signed(observation, "performer")
            for observation in fhir_out.vital_observations(
                ids, patient_id, entry, now, encounter_id, height_for_bmi
            )
        ]
        with self.engine.begin() as connection:
            self._require(connection, "Patient", patient_id)
            for observation in observations:
                write_local_change(connection, observation, "create")
        return [observation["id"] for observation in observations]

    # ----- the visit: note, chief complaint ----------------------------------------------------

    def save_note(self, patient_id: str, encounter_id: str, note: NoteEntry, now: datetime) -> str:
        """Write the visit's consultation note, or rewrite it if it has one; returns its id."""
        with self.engine.begin() as connection:
            self._require(connection, "Encounter", encounter_id)
            note_id, _ = self._note_of_visit(connection, encounter_id)
            before = (
                read_resource(connection, N_("DocumentReference"), note_id) if note_id else None
            )
            ident = note_id or self.new_id()
            resource = fhir_out.note_document(
                ident, patient_id, encounter_id, note, now, self._author(), before
            )
            if before is None:
                write_local_change(connection, resource, "create")
            elif fhir_out.note_of(before) != note:
                write_local_change(connection, resource, "update")
        return ident

    def _signed(self, resource: dict[str, Any], field: str) -> dict[str, Any]:
        """`resource` naming the signed-in clinician as its recorder (or performer, a list)."""
        if self.practitioner_id:
            reference = {"reference": f"Practitioner/{self.practitioner_id}"}
            resource[field] = [reference] if field == "performer" else reference
        return resource

    def _author(self) -> dict[str, str]:
        if self.practitioner_id:
            return {"reference": f"Practitioner/{self.practitioner_id}"}
        return {"reference": f"Organization/{self.clinic.id}", "display": self.clinic.name}

    def set_chief_complaint(self, encounter_id: str, complaint: str) -> None:
        """Replace the visit's chief complaint."""
        with self.engine.begin() as connection:
            before = self._require(connection, "Encounter", encounter_id)
            after = fhir_out.with_chief_complaint(before, complaint)
            if after != before:
                write_local_change(connection, after, "update")

    # ----- demographics ------------------------------------------------------------------------

    def correct_demographics(self, patient_id: str, entry: DemographicsEntry) -> bool:
        """Correct phone, address and contact; False when nothing differed (nothing written)."""
        with self.engine.begin() as connection:
            before = self._require(connection, "Patient", patient_id)
            after = fhir_out.with_demographics(before, entry)
            if after == before:
                return False
            write_local_change(connection, after, "update")
        return True

    # ----- history -----------------------------------------------------------------------------

    def visits(self, patient_id: str, today: date) -> list[VisitSummary]:
        """Every visit of the patient up to today, newest first (the history's list)."""
        encounter = _table(EncounterRow)
        organization = _table(OrganizationRow)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(encounter, organization.c.name.label("organization_name"))
                .outerjoin(organization, organization.c.id == encounter.c.organization_id)
                .where(
                    encounter.c.patient_id == patient_id,
                    (encounter.c.queue_date <= today.isoformat())
                    | encounter.c.queue_date.is_(None),
                )
                .order_by(encounter.c.period_start.desc())
                .limit(HISTORY_LIMIT)
            ).all()
        return [
            VisitSummary(
                encounter_id=row.id,
                started=_moment(row.period_start),
                status=row.status,
                reason=row.chief_complaint,
                organization=row.organization_name,
                pending=bool(row.pending),
            )
            for row in rows
        ]

    def visit_record(self, encounter_id: str) -> VisitRecord | None:
        """What was recorded in one visit: diagnoses, vital signs, medicines, the note."""
        encounter = _table(EncounterRow)
        organization = _table(OrganizationRow)
        with self.engine.connect() as connection:
            visit = connection.execute(
                select(encounter, organization.c.name.label("organization_name"))
                .outerjoin(organization, organization.c.id == encounter.c.organization_id)
                .where(encounter.c.id == encounter_id)
            ).first()
            if visit is None:
                return None
            patient_id = visit.patient_id
            _, note = self._note_of_visit(connection, encounter_id)
            return VisitRecord(
                encounter_id=encounter_id,
                started=(visit.period_start or "")[:16].replace("T", " "),
                status=visit.status,
                reason=visit.chief_complaint,
                organization=visit.organization_name or "",
                diagnoses=self._visit_diagnoses(connection, patient_id, encounter_id),
                vitals=self._visit_vitals(connection, patient_id, encounter_id),
                medications=self._visit_medications(
                    connection, patient_id, encounter_id, visit.period_start
                ),
                note=note,
                pending=bool(visit.pending),
            )

    @staticmethod
    def _linked(resource: Resource, encounter_id: str) -> bool:
        return reference_id(resource.get("encounter"), "Encounter") == encounter_id

    def _visit_diagnoses(
        self, connection: Connection, patient_id: str, encounter_id: str
    ) -> list[str]:
        table = _table(ConditionRow)
        lines = []
        for row in connection.execute(select(table).where(table.c.patient_id == patient_id)).all():
            resource = json.loads(row.resource_json)
            verification = concept_code(resource.get("verificationStatus"))
            if not self._linked(resource, encounter_id) or verification == "entered-in-error":
                continue
            mark = " *" if row.pending else ""
            lines.append(f"{row.code or '—'} {row.display}{mark}")
        return lines

    def _visit_vitals(
        self, connection: Connection, patient_id: str, encounter_id: str
    ) -> list[tuple[str, str]]:
        table = _table(ObservationRow)
        rows = connection.execute(select(table).where(table.c.patient_id == patient_id)).all()
        found: dict[str, tuple[str, str]] = {}
        for row in rows:
            if row.value is None or not self._linked(json.loads(row.resource_json), encounter_id):
                continue
            code = VITAL_ALIASES.get(row.code, row.code)
            if code not in VITAL_CODES:
                continue
            label, unit = VITAL_CODES[code]
            value = f"{row.value:g}" if row.value2 is None else f"{row.value:g}/{row.value2:g}"
            mark = " *" if row.pending else ""
            found[code] = (label, f"{value} {row.unit or unit}{mark}")
        return [found[code] for code in VITAL_CODES if code in found]

    def _visit_medications(
        self, connection: Connection, patient_id: str, encounter_id: str, started: str | None
    ) -> list[str]:
        table = _table(MedicationRequestRow)
        lines = []
        for row in connection.execute(select(table).where(table.c.patient_id == patient_id)).all():
            resource = json.loads(row.resource_json)
            # Prescriptions written in the visit: linked to it, or authored when it started.
            same_time = started is not None and row.authored_on == started
            if self._linked(resource, encounter_id) or same_time:
                lines.append(f"{row.medication} {row.dosage_text}".strip())
        return lines

    # ----- shared ------------------------------------------------------------------------------

    @staticmethod
    def _require(connection: Connection, resource_type: str, resource_id: str) -> Resource:
        found = read_resource(connection, resource_type, resource_id)
        if found is None:
            raise ChartEditError(f"{resource_type}/{resource_id} is not in this clinic's records")
        return found
