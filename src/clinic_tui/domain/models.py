"""Typed views of clinical records that screens display and rules reason about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from clinic_tui.i18n import N_


class Priority(StrEnum):
    """Queue priority, coded as v3-ActPriority on Encounter.priority."""

    EMERGENCY = "EM"
    URGENT = "UR"
    ROUTINE = "R"

    @property
    def rank(self) -> int:
        """Lower rank is called first."""
        return {"EM": 0, "UR": 1, "R": 2}[self.value]

    @property
    def marker(self) -> str:
        """Text marker shown beside the colour, so colour is never the only signal."""
        return {"EM": "!!!", "UR": "!!", "R": "·"}[self.value]

    @classmethod
    def from_code(cls, code: str | None) -> Priority:
        """Map a v3-ActPriority code (or None) to a queue priority; unknown codes are routine."""
        if code in ("EM", "EL", N_("STAT"), "S"):
            return cls.EMERGENCY
        if code in ("UR", "A", N_("ASAP")):
            return cls.URGENT
        return cls.ROUTINE


class QueueStatus(StrEnum):
    """Where a registration stands today; stored as Encounter.status."""

    WAITING = "waiting"
    IN_CONSULTATION = "in-consultation"
    DONE = "done"
    LEFT = "left"

    @classmethod
    def from_encounter_status(cls, status: str) -> QueueStatus:
        """Map an Encounter.status to the queue's four states."""
        if status == "in-progress":
            return cls.IN_CONSULTATION
        if status == "finished":
            return cls.DONE
        if status in ("cancelled", "entered-in-error"):
            return cls.LEFT
        return cls.WAITING

    @property
    def encounter_status(self) -> str:
        """The Encounter.status written for this queue state."""
        return {
            "waiting": "arrived",
            "in-consultation": "in-progress",
            "done": "finished",
            "left": "cancelled",
        }[self.value]


class Gender(StrEnum):
    """Administrative gender as FHIR codes it."""

    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PatientSummary:
    """Who a patient is, as shown in search results and the chart header."""

    id: str
    name: str
    gender: Gender
    birth_date: date | None
    identifier: str | None
    phone: str | None
    pending: bool = False


@dataclass(frozen=True)
class QueueEntry:
    """One registration in today's queue (an Encounter and its patient)."""

    encounter_id: str
    patient_id: str
    number: int
    patient_name: str
    gender: Gender
    birth_date: date | None
    chief_complaint: str
    priority: Priority
    status: QueueStatus
    arrived_at: datetime
    pending: bool = False
    waited_until: datetime | None = None
    """When the wait ended (called, or left); None while still waiting or when unknown."""


@dataclass(frozen=True)
class Allergy:
    """A recorded allergy or intolerance."""

    substance: str
    criticality: str | None
    reaction: str | None
    pending: bool = False


@dataclass(frozen=True)
class Problem:
    """A problem-list entry or diagnosis (Condition), coded in ICD-10."""

    code: str | None
    display: str
    clinical_status: str
    onset: date | None
    pending: bool = False


@dataclass(frozen=True)
class Medication:
    """An active medication order (MedicationRequest)."""

    name: str
    dosage: str
    authored_on: date | None
    pending: bool = False


@dataclass(frozen=True)
class VitalSign:
    """One measured vital sign (Observation, vital-signs category)."""

    loinc: str
    label: str
    value: float
    unit: str
    effective: datetime
    second_value: float | None = None
    """Diastolic pressure when the observation is a blood-pressure panel."""
    pending: bool = False


@dataclass(frozen=True)
class VisitSummary:
    """A past or current visit (Encounter) shown in the chart."""

    encounter_id: str
    started: datetime | None
    status: str
    reason: str
    organization: str | None
    pending: bool = False
    priority: str | None = None
    """The visit's v3-ActPriority code (EM, UR, R), when recorded."""
    queued: bool = True
    """A queue registration; False for a chronic follow-up (at home, by phone), which is a
    visit but never "today's" place in the queue."""


class AllergyState(StrEnum):
    """What is known about a patient's allergies: the banner states all three cases."""

    RECORDED = "recorded"
    NO_KNOWN_ALLERGIES = "no-known-allergies"
    NOT_RECORDED = "not-recorded"


@dataclass(frozen=True)
class Chart:
    """Everything the read-only chart shows about one patient."""

    patient: PatientSummary
    allergy_state: AllergyState
    allergies: list[Allergy] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    vitals: list[VitalSign] = field(default_factory=list)
    visits: list[VisitSummary] = field(default_factory=list)
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    vital_history: dict[str, list[VitalSign]] = field(default_factory=dict)
    """Per LOINC code of `vitals`, the recent measurements oldest first (for trends)."""
    records_kept_at: str | None = None
    """The clinic that keeps this patient's records when it is not this cache's clinic (its
    name, else its Organization id): a referred patient's conditions, allergies, medicines
    and vitals stay there and are not downloaded here. None for the clinic's own patients
    and in an unscoped cache."""


@dataclass(frozen=True)
class Clinic:
    """The organization this workstation serves (a township health centre, usually)."""

    id: str
    name: str
