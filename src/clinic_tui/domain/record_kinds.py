"""What each cached FHIR resource type holds, in a clinician's words (en and zh).

`status` counts records per type; a doctor reads 'Visits' / '就诊记录', never 'Encounter'
(the words of GLOSSARY.md: Encounter 就诊记录, AllergyIntolerance 过敏史, Condition 诊断,
Observation 生命体征, MedicationRequest 处方, ServiceRequest 转诊, follow-up 随访). The FHIR
names stay in `status --json`, which is for IT and scripts.
"""

from __future__ import annotations

from clinic_tui.i18n import N_, tr

RECORD_KINDS: dict[str, str] = {
    "Patient": N_("Patients"),
    "Practitioner": N_("Clinicians"),
    "Organization": N_("Clinics and hospitals"),
    "Encounter": N_("Visits"),
    "Condition": N_("Diagnoses"),
    "AllergyIntolerance": N_("Allergies"),
    "Observation": N_("Vital signs and measurements"),
    "MedicationRequest": N_("Prescriptions"),
    "ServiceRequest": N_("Referral requests"),
    "Task": N_("Referral and follow-up tasks"),
    "DocumentReference": N_("Clinical notes"),
    "Communication": N_("Referral messages"),
    "EpisodeOfCare": N_("Chronic disease enrolments"),
    "QuestionnaireResponse": N_("Follow-up visit records"),
}
"""FHIR resource type -> its records in words (translated where shown)."""


def record_kind(resource_type: str) -> str:
    """The records of `resource_type` in the language in force; an unknown type as it is."""
    words = RECORD_KINDS.get(resource_type)
    return tr(words) if words is not None else resource_type


def record_order(entry: tuple[str, object]) -> tuple[int, str]:
    """Sort key of (resource type, ...): in RECORD_KINDS' order, unknown types after."""
    order = list(RECORD_KINDS)
    kind = entry[0]
    return (order.index(kind) if kind in order else len(order), kind)
