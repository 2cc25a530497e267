"""The follow-up programme's plain types: what a form hands the registry and what it hands a screen.

FHIR mapping (see ARCHITECTURE.md): an enrolment is an EpisodeOfCare (type = programme), a
follow-up visit an Encounter (episodeOfCare, class AMB / HH / VR for clinic / home / phone)
with vital-sign Observations (the LOINC codes the chart uses) and a QuestionnaireResponse for
the rest of the form; the next visit is a Task of kind 'chronic-follow-up' with a due date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Programme(StrEnum):
    """A managed chronic disease (EpisodeOfCare.type in PROGRAMME_SYSTEM)."""

    HYPERTENSION = "hypertension"
    DIABETES = "diabetes"


class VisitMode(StrEnum):
    """Where the follow-up happened (规范: 门诊 / 家庭 / 电话)."""

    CLINIC = "clinic"
    HOME = "home"
    PHONE = "phone"


class LeaveReason(StrEnum):
    """Why a patient left a programme."""

    MOVED = "moved"
    DIED = "died"
    DECLINED = "declined"
    OTHER = "other"


class Control(StrEnum):
    """The visit's classification (规范: 控制满意 / 控制不满意 / 不良反应 / 并发症)."""

    SATISFACTORY = "satisfactory"
    UNSATISFACTORY = "unsatisfactory"
    ADVERSE_REACTION = "adverse-reaction"
    COMPLICATION = "complication"


@dataclass(frozen=True)
class Enrolment:
    """One patient's place in one programme (an EpisodeOfCare)."""

    id: str
    patient_id: str
    programme: Programme
    active: bool
    start: date
    end: date | None = None
    clinician_id: str | None = None
    """careManager: the Practitioner who manages the follow-ups."""
    organization_id: str | None = None
    leave_reason: LeaveReason | None = None


@dataclass(frozen=True)
class Lifestyle:
    """The lifestyle part of the 随访 form; None = not asked this time."""

    cigarettes_per_day: int | None = None
    alcohol_per_day_liang: float | None = None
    """Daily drinking in 两 of liquor (the 规范 form's unit)."""
    exercise_times_per_week: int | None = None
    exercise_minutes: int | None = None
    salt: str | None = None
    """'light' / 'moderate' / 'heavy' (摄盐情况 轻 / 中 / 重)."""
    mood: str | None = None
    """'good' / 'fair' / 'poor' (心理调整 良好 / 一般 / 差)."""
    adherence_to_advice: str | None = None
    """'good' / 'fair' / 'poor' (遵医行为)."""


@dataclass(frozen=True)
class FollowUpValues:
    """What a 随访 measured or was told. Phone follow-ups record what the patient reports."""

    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    fasting_glucose: float | None = None
    """mmol/L (空腹血糖)."""
    symptoms: tuple[str, ...] = ()
    """Symptom codes from the rules table (followup/ rules), empty = none."""
    lifestyle: Lifestyle = field(default_factory=Lifestyle)
    medication_adherence: str | None = None
    """'regular' / 'intermittent' / 'none' (服药依从性 规律 / 间断 / 不服药)."""
    adverse_reaction: str = ""
    """The adverse drug reaction in words; '' = none."""
    complication: str = ""
    """A new complication in words; '' = none."""
    reported: bool = False
    """True when the values were reported by the patient (phone), not measured."""


@dataclass(frozen=True)
class Classification:
    """How the rules read a visit: the control, why, the next date and whether to refer."""

    control: Control
    reasons: tuple[str, ...]
    """Each reason in words (English key, translated on screen)."""
    next_due: date
    refer: bool = False
    refer_reasons: tuple[str, ...] = ()
    urgent: bool = False
    """An urgent sign: refer at once (规范: 紧急转诊)."""


@dataclass(frozen=True)
class FollowUpVisit:
    """One recorded 随访, as the registry keeps it."""

    id: str
    """The Encounter's id."""
    patient_id: str
    programmes: tuple[Programme, ...]
    mode: VisitMode
    when: datetime
    values: FollowUpValues
    control: Control
    next_due: date | None = None
    clinician_id: str | None = None
    note: str = ""


@dataclass(frozen=True)
class DueItem:
    """One row of the follow-up list: an enrolled patient and when they are due."""

    enrolment_id: str
    patient_id: str
    name: str
    gender: str
    birth_date: date | None
    address: str
    programme: Programme
    clinician_id: str | None
    due: date | None
    """The next follow-up's date (its Task); None when none is planned."""
    last_visit: date | None
    visits_this_year: int
    last_control: Control | None = None
    phone: str = ""
    """The patient's phone (a phone follow-up calls it)."""
