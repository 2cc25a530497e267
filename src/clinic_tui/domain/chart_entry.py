"""What the chart's forms hand over, and the checks on it: one message per wrong field.

Messages are plain English; screens translate them with i18n.tr. Nothing here
touches a record: chart_resources.py turns a checked entry into FHIR JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic_tui.domain.diagnosis_search import CodeHit
from clinic_tui.domain.validation import parse_birth_date, validate_new_patient
from clinic_tui.i18n import N_

SNOMED_SYSTEM = "http://snomed.info/sct"

CONDITION_CLINICAL = (
    N_("active"),
    N_("recurrence"),
    N_("relapse"),
    N_("inactive"),
    N_("remission"),
    N_("resolved"),
)
"""Condition.clinicalStatus codes (hl7.org/fhir/R4/valueset-condition-clinical.html)."""
CONDITION_VERIFICATION = (
    N_("confirmed"),
    N_("provisional"),
    N_("differential"),
    N_("unconfirmed"),
    N_("refuted"),
    N_("entered-in-error"),
)
"""Condition.verificationStatus codes (hl7.org/fhir/R4/valueset-condition-ver-status.html)."""
ALLERGY_CATEGORIES = (N_("medication"), N_("food"), N_("environment"), N_("biologic"))
"""AllergyIntolerance.category (hl7.org/fhir/R4/valueset-allergy-intolerance-category.html)."""
ALLERGY_CRITICALITY = (N_("low"), N_("high"), N_("unable-to-assess"))
"""AllergyIntolerance.criticality (hl7.org/fhir/R4/valueset-allergy-intolerance-criticality)."""
REACTION_SEVERITY = (N_("mild"), N_("moderate"), N_("severe"))
"""AllergyIntolerance.reaction.severity (hl7.org/fhir/R4/valueset-reaction-event-severity.html)."""


@dataclass(frozen=True)
class Substance:
    """An allergen offered in the form's list (SNOMED CT substance) with its category."""

    code: str
    zh: str
    en: str
    category: str


# SNOMED CT codes as browsed at browser.ihtsdotools.org; the same allergens the demo clinic
# records (demo/clinical.py), so a list choice and a demo record read alike.
SUBSTANCES: tuple[Substance, ...] = (
    Substance("764146007", "青霉素", "Penicillin", "medication"),
    Substance("373262009", "头孢菌素类", "Cephalosporins", "medication"),
    Substance("387406002", "磺胺类药物", "Sulfonamides", "medication"),
    Substance("387458008", "阿司匹林", "Aspirin", "medication"),
    Substance("44027008", "海鲜", "Seafood", "food"),
    Substance("256259004", "花粉", "Pollen", "environment"),
    Substance("260147004", "尘螨", "House dust mite", "environment"),
)

REACTIONS: tuple[tuple[str, str, str], ...] = (
    ("271807003", "皮疹", "Eruption of skin"),
    ("126485001", "荨麻疹", "Urticaria"),
    ("418290006", "瘙痒", "Itching"),
    ("267036007", "呼吸困难", "Dyspnoea"),
    ("41291007", "血管性水肿", "Angioedema"),
    ("39579001", "过敏性休克", "Anaphylaxis"),
)
"""(SNOMED CT code, Chinese, English) of common manifestations, as in the demo clinic."""

MAX_TEXT = 200
"""Short fields (a substance typed by hand, a reaction, an address) stay under this."""
MAX_NOTE = 20_000
"""A consultation note longer than this is a paste gone wrong, not a note."""


@dataclass(frozen=True)
class ConditionEntry:
    """A diagnosis or problem to record, or the new state of one already recorded."""

    code: CodeHit
    onset: date | None
    clinical_status: str = "active"
    verification: str = "confirmed"
    this_visit: bool = True
    """True: a diagnosis of the current visit (linked to its Encounter)."""


@dataclass(frozen=True)
class AllergyEntry:
    """An allergy or intolerance as recorded in the form."""

    substance: str
    """What the patient reacts to, as the doctor reads it."""
    substance_code: Substance | None
    category: str
    criticality: str | None
    reaction: str
    reaction_code: str | None
    severity: str | None


@dataclass(frozen=True)
class NoteEntry:
    """A consultation note: SOAP sections, or one free text."""

    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""
    free_text: str = ""

    @property
    def is_soap(self) -> bool:
        """True when any SOAP section is filled in (the free text is then ignored)."""
        return any((self.subjective, self.objective, self.assessment, self.plan))


@dataclass(frozen=True)
class DemographicsEntry:
    """Corrections to a patient's contact details; an empty field removes the value."""

    phone: str
    address: str
    contact_name: str
    contact_phone: str


def validate_condition(code: CodeHit | None, onset_text: str, today: date) -> dict[str, str]:
    """Field -> message for the diagnosis form ("code", "onset")."""
    errors: dict[str, str] = {}
    if code is None:
        errors["code"] = N_("Choose a diagnosis from the search results")
    if onset_text.strip():
        onset = parse_birth_date(onset_text)
        if onset is None:
            errors["onset"] = N_("Not a date: use YYYY-MM-DD")
        elif onset > today:
            errors["onset"] = N_("The onset date is in the future")
    return errors


def validate_allergy(substance: str, category: str, reaction: str) -> dict[str, str]:
    """Field -> message for the allergy form ("substance", "category", "reaction")."""
    errors: dict[str, str] = {}
    if not substance.strip():
        errors["substance"] = N_("Choose a substance or type what the patient reacts to")
    elif len(substance.strip()) > MAX_TEXT:
        errors["substance"] = N_("Keep the substance under 200 characters")
    if category not in ALLERGY_CATEGORIES:
        errors["category"] = N_("Choose medicine, food, environment or biologic")
    if len(reaction.strip()) > MAX_TEXT:
        errors["reaction"] = N_("Keep the reaction under 200 characters")
    return errors


def validate_note(note: NoteEntry) -> dict[str, str]:
    """Field -> message for the note form ("note")."""
    texts = (note.subjective, note.objective, note.assessment, note.plan, note.free_text)
    if not any(text.strip() for text in texts):
        return {"note": N_("The note is empty")}
    if sum(len(text) for text in texts) > MAX_NOTE:
        return {"note": N_("The note is longer than 20,000 characters")}
    return {}


def phone_error(text: str) -> str | None:
    """The registration form's message for this phone number (None when right or empty).

    Asked of validate_new_patient itself, so a correction follows exactly the rules a
    registration does, whatever they become.
    """
    errors = validate_new_patient("-", "unknown", "2000-01-01", "", text, date(2000, 1, 2))
    return errors.get("phone")


def validate_demographics(entry: DemographicsEntry) -> dict[str, str]:
    """Field -> message for the demographics form."""
    errors: dict[str, str] = {}
    for key, value in (("phone", entry.phone), ("contact_phone", entry.contact_phone)):
        message = phone_error(value)
        if message is not None:
            errors[key] = message
    if len(entry.address.strip()) > MAX_TEXT:
        errors["address"] = N_("Keep the address under 200 characters")
    if len(entry.contact_name.strip()) > 50:
        errors["contact_name"] = N_("A name has at most 50 characters")
    if entry.contact_phone.strip() and not entry.contact_name.strip():
        errors["contact_name"] = N_("Enter the contact's name")
    return errors


@dataclass(frozen=True)
class CurrentVisit:
    """Today's visit of the patient at this clinic: what a note, diagnosis or finish applies to."""

    encounter_id: str
    status: str
    chief_complaint: str
    note_id: str | None = None
    """The visit's consultation note, once written."""
    note: NoteEntry | None = None
    pending: bool = False
    """The visit itself (complaint, status) has an unsynced change."""
    note_pending: bool = False
    """The note has an unsynced change."""
    diagnoses: tuple[str, ...] = ()
    """'I10 高血压' of each diagnosis linked to this visit."""
    priority: str | None = None
    """Encounter.priority as coded (v3-ActPriority: EM emergency, UR urgent, R routine)."""


@dataclass(frozen=True)
class RecordedProblem:
    """A problem on the chart with the id and statuses its change form needs."""

    id: str
    code: str | None
    display: str
    clinical_status: str
    verification: str
    onset: date | None
    pending: bool = False


@dataclass(frozen=True)
class RecordedAllergy:
    """An active allergy (or 'no known allergy' statement) with the id its change needs."""

    id: str
    substance: str
    criticality: str | None
    reaction: str | None
    no_known: bool
    pending: bool = False


@dataclass(frozen=True)
class VisitRecord:
    """What was recorded in one visit, for the chart's history: lines of text per kind."""

    encounter_id: str
    started: str
    status: str
    reason: str
    organization: str
    diagnoses: list[str]
    """'I10 高血压' lines, a '*' on unsynced ones."""
    vitals: list[tuple[str, str]]
    """(English label, value with unit) per measurement, in the chart's order."""
    medications: list[str]
    note: NoteEntry | None
    pending: bool = False
