"""Read one patient's chart from the cache: allergies, problems, medications, vitals, visits.

Every query filters on an indexed patient_id column, so a chart opens in
milliseconds however many patients the clinic holds. Nothing here writes.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, select

from clinic_tui.domain.fhir import PHONE_SYSTEM, concept_code, concept_text
from clinic_tui.domain.models import (
    Allergy,
    AllergyState,
    Chart,
    Medication,
    Problem,
    VisitSummary,
    VitalSign,
)
from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM
from clinic_tui.i18n import N_
from clinic_tui.offline_cache.patient_search import patient_summary
from clinic_tui.offline_cache.records_elsewhere import records_kept_at
from clinic_tui.offline_cache.tables import (
    AllergyIntoleranceRow,
    ConditionRow,
    EncounterRow,
    MedicationRequestRow,
    ObservationRow,
    OrganizationRow,
    PatientRow,
)

VITAL_CODES: dict[str, tuple[str, str]] = {
    "85354-9": (N_("Blood pressure"), "mmHg"),
    "8867-4": (N_("Heart rate"), N_("/min")),
    "8310-5": (N_("Temperature"), "°C"),
    "9279-1": (N_("Respiratory rate"), N_("/min")),
    "59408-5": (N_("Oxygen saturation"), "%"),
    "29463-7": (N_("Body weight"), "kg"),
    "8302-2": (N_("Body height"), "cm"),
    "39156-5": ("BMI", "kg/m2"),
}
"""LOINC code -> (English label, default unit), in the order the chart lists them."""

IDENTIFIER_TYPES = {
    "PPN": N_("Passport"),
    "DL": N_("Driver's licence"),
    "MR": N_("Medical record number"),
}
"""English labels of HL7 v2-0203 identifier types (the screens translate them); a type's own
text ('护照') would show untranslated in an English chart."""

# A type text records carry in English that the chart shows through tr(label).
_RECORD_TYPE_TEXTS = (N_("Health card"),)

VITAL_ALIASES = {"2708-6": "59408-5"}
"""Codes shown as one series: arterial SpO2 (2708-6) joins pulse oximetry (59408-5)."""

HISTORY_LENGTH = 8
"""Measurements kept per vital sign for its trend."""

VISIT_LIMIT = 10
"""Most recent visits the chart lists."""

_ACTIVE_PROBLEM = ("active", "recurrence", "relapse")
_EXCLUDED_VERIFICATION = ("entered-in-error", "refuted")


def _table(model: Any) -> Any:
    return model.__table__


def _date(text: str | None) -> date | None:
    """A full FHIR date (or the date of a dateTime); None for partial or bad dates."""
    if not text or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _datetime(text: str | None) -> datetime | None:
    """An aware datetime; a date or a time without offset is read as local time."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    # Mixed naive and aware values could not be compared when a series is sorted.
    return moment if moment.tzinfo is not None else moment.astimezone()


def _verification_excluded(resource_json: str) -> bool:
    """True when the record was refuted or entered in error: a chart never shows those."""
    resource = json.loads(resource_json)
    return concept_code(resource.get("verificationStatus")) in _EXCLUDED_VERIFICATION


class ChartRepository:
    """Builds the read-only Chart of one patient from the cache."""

    def __init__(self, engine: Engine, clinic_id: str | None = None) -> None:
        self.engine = engine
        self.clinic_id = clinic_id
        """The clinic whose patients' records the cache downloads; None = unscoped (all)."""

    def load(self, patient_id: str, today: date) -> Chart | None:
        """The chart of `patient_id` as of `today`; None when the patient is not cached."""
        with self.engine.connect() as connection:
            patient = connection.execute(
                select(_table(PatientRow)).where(_table(PatientRow).c.id == patient_id)
            ).first()
            if patient is None:
                return None
            allergy_state, allergies = self._allergies(connection, patient_id)
            latest, history = self._vitals(connection, patient_id)
            return Chart(
                patient=patient_summary(patient),
                allergy_state=allergy_state,
                allergies=allergies,
                problems=self._problems(connection, patient_id),
                medications=self._medications(connection, patient_id),
                vitals=latest,
                visits=self._visits(connection, patient_id, today),
                identifiers=self._identifiers(json.loads(patient.resource_json)),
                vital_history=history,
                records_kept_at=records_kept_at(
                    connection, patient.organization_id, self.clinic_id
                ),
            )

    @staticmethod
    def _identifiers(resource: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, value) pairs: identity number first, then phone, then other identifiers."""
        national: list[tuple[str, str]] = []
        others: list[tuple[str, str]] = []
        for identifier in resource.get("identifier") or []:
            if not isinstance(identifier, dict) or not identifier.get("value"):
                continue
            value = str(identifier["value"])
            if identifier.get("system") == IDENTIFIER_SYSTEM:
                national.append(("Identity number", value))
            else:
                kind = identifier.get("type")
                label = (
                    IDENTIFIER_TYPES.get(concept_code(kind, "v2-0203") or "")
                    or concept_text(kind)
                    or str(identifier.get("system") or "Identifier")
                )
                others.append((label, value))
        phones = [
            ("Phone", str(contact["value"]))
            for contact in resource.get("telecom") or []
            if isinstance(contact, dict)
            and contact.get("system") == PHONE_SYSTEM
            and contact.get("value")
        ]
        return national + phones + others

    @staticmethod
    def _allergies(connection: Connection, patient_id: str) -> tuple[AllergyState, list[Allergy]]:
        table = _table(AllergyIntoleranceRow)
        rows = connection.execute(
            select(table)
            .where(table.c.patient_id == patient_id, table.c.clinical_status == "active")
            .order_by(table.c.display)
        ).all()
        rows = [row for row in rows if not _verification_excluded(row.resource_json)]
        allergies = [
            Allergy(
                substance=row.display or row.code or "?",
                criticality=row.criticality,
                reaction=row.reaction,
                pending=bool(row.pending),
            )
            for row in rows
            if not row.no_known
        ]
        # High-criticality allergies first: they are the ones a prescriber must not miss.
        allergies.sort(key=lambda allergy: allergy.criticality != "high")
        if allergies:
            return AllergyState.RECORDED, allergies
        if any(row.no_known for row in rows):
            return AllergyState.NO_KNOWN_ALLERGIES, []
        return AllergyState.NOT_RECORDED, []

    @staticmethod
    def _problems(connection: Connection, patient_id: str) -> list[Problem]:
        table = _table(ConditionRow)
        rows = connection.execute(
            select(table).where(table.c.patient_id == patient_id).order_by(table.c.onset.desc())
        ).all()
        problems = [
            Problem(
                code=row.code,
                display=row.display,
                clinical_status=row.clinical_status,
                onset=_date(row.onset),
                pending=bool(row.pending),
            )
            for row in rows
            if not _verification_excluded(row.resource_json)
        ]
        # Stable sort: active first, each group keeping most-recent-onset first.
        problems.sort(key=lambda problem: problem.clinical_status not in _ACTIVE_PROBLEM)
        return problems

    @staticmethod
    def _medications(connection: Connection, patient_id: str) -> list[Medication]:
        table = _table(MedicationRequestRow)
        rows = connection.execute(
            select(table)
            .where(table.c.patient_id == patient_id, table.c.status == "active")
            .order_by(table.c.authored_on.desc(), table.c.medication)
        ).all()
        return [
            Medication(
                name=row.medication,
                dosage=row.dosage_text,
                authored_on=_date(row.authored_on),
                pending=bool(row.pending),
            )
            for row in rows
        ]

    @staticmethod
    def _vitals(
        connection: Connection, patient_id: str
    ) -> tuple[list[VitalSign], dict[str, list[VitalSign]]]:
        table = _table(ObservationRow)
        codes = [*VITAL_CODES, *VITAL_ALIASES]
        rows = connection.execute(
            select(table)
            .where(table.c.patient_id == patient_id, table.c.code.in_(codes))
            .order_by(table.c.code, table.c.effective)
        ).all()
        history: dict[str, list[VitalSign]] = {}
        for row in rows:
            vital = _vital(row)
            if vital is not None:
                history.setdefault(vital.loinc, []).append(vital)
        ordered: dict[str, list[VitalSign]] = {}
        for code in VITAL_CODES:
            if code in history:
                # Two codes may feed one series, so sort again after merging them.
                series = sorted(history[code], key=lambda vital: vital.effective)
                ordered[code] = series[-HISTORY_LENGTH:]
        return [series[-1] for series in ordered.values()], ordered

    @staticmethod
    def _visits(connection: Connection, patient_id: str, today: date) -> list[VisitSummary]:
        table = _table(EncounterRow)
        organization = _table(OrganizationRow)
        rows = connection.execute(
            select(table, organization.c.name.label("organization_name"))
            .outerjoin(organization, organization.c.id == table.c.organization_id)
            .where(
                table.c.patient_id == patient_id,
                # Future bookings are not visits yet.
                (table.c.queue_date <= today.isoformat()) | table.c.queue_date.is_(None),
            )
            .order_by(table.c.period_start.desc())
            .limit(VISIT_LIMIT)
        ).all()
        return [
            VisitSummary(
                encounter_id=row.id,
                started=_datetime(row.period_start),
                status=row.status,
                reason=row.chief_complaint,
                organization=row.organization_name,
                pending=bool(row.pending),
                priority=row.priority,
                queued=row.queue_date is not None,
            )
            for row in rows
        ]


def _vital(row: Row[Any]) -> VitalSign | None:
    """A VitalSign from an observation row; None when it holds no usable value or time."""
    effective = _datetime(row.effective)
    if row.value is None or effective is None:
        return None
    code = VITAL_ALIASES.get(row.code, row.code)
    label, unit = VITAL_CODES[code]
    return VitalSign(
        loinc=code,
        label=label,
        value=float(row.value),
        unit=row.unit or unit,
        effective=effective,
        second_value=float(row.value2) if row.value2 is not None else None,
        pending=bool(row.pending),
    )
