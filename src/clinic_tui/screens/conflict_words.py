"""Conflicts in a clinician's words: which field, and each value as the app shows it.

A disputed path such as `telecom[system=phone].value` or `status` becomes
'Phone' or 'Status'; a value such as `arrived` becomes 'Waiting' and a
priority coding 'Emergency'. Raw JSON is what the advanced editor is for;
these words fall back to compact JSON only for elements the app does not model.
"""

from __future__ import annotations

import json
import re
from typing import Any

from clinic_tui.domain.fhir import concept_code, concept_text, human_name
from clinic_tui.domain.models import Priority, QueueStatus
from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM
from clinic_tui.i18n import N_, tr

RECORD_WORDS = {
    "Patient": N_("Patient details"),
    "Encounter": N_("Visit"),
    "AllergyIntolerance": N_("Allergy"),
    "Condition": N_("Problem"),
    "Observation": N_("Measurement"),
    "MedicationRequest": N_("Prescription"),
    "Task": N_("Referral"),
    "ServiceRequest": N_("Referral request"),
    "Communication": N_("Referral message"),
}
"""What each resource type is, in English words (translated where shown)."""

_FIELD_LABELS: dict[str, str] = {
    "name": N_("Name"),
    "birthDate": N_("Birth date"),
    "gender": N_("Sex"),
    "address": N_("Address"),
    "active": N_("Active"),
    "status": N_("Status"),
    "priority": N_("Priority"),
    "reasonCode": N_("Chief complaint"),
    "period": N_("Time"),
    "statusHistory": N_("Status history"),
    "serviceProvider": N_("Clinic"),
    "managingOrganization": N_("Clinic"),
    "criticality": N_("Criticality"),
    "reaction": N_("Reaction"),
    "clinicalStatus": N_("Status"),
    "verificationStatus": N_("Verification"),
    "onsetDateTime": N_("Onset"),
    "valueQuantity": N_("Value"),
    "component": N_("Value"),
    "effectiveDateTime": N_("Measured at"),
    "medicationCodeableConcept": N_("Medicine"),
    "dosageInstruction": N_("Dosage"),
    "dispenseRequest": N_("Quantity"),
    # A referral's Task (referral/fhir_shapes.py).
    "lastModified": N_("Last changed"),
    "businessStatus": N_("Progress"),
    "statusReason": N_("Reason for the state"),
    "restriction": N_("Appointment or due date"),
    "owner": N_("Sent to"),
    "output": N_("Outcome"),
    "executionPeriod": N_("Time"),
    "extension": N_("Doctor"),
}
"""Top-level elements by name; `code` depends on the record (see field_label)."""

_CODE_LABEL = {
    "AllergyIntolerance": N_("Substance"),
    "Condition": N_("Diagnosis"),
    "Observation": N_("Measurement"),
}

_SEX = {"male": N_("Male"), "female": N_("Female"), "other": N_("Other"), "unknown": N_("Unknown")}
_QUEUE_WORDS = {
    QueueStatus.WAITING: "Waiting",
    QueueStatus.IN_CONSULTATION: "In consultation",
    QueueStatus.DONE: "Done",
    QueueStatus.LEFT: "Left without being seen",
}
_PRIORITY_WORDS = {
    Priority.EMERGENCY: N_("Emergency"),
    Priority.URGENT: N_("Urgent"),
    Priority.ROUTINE: N_("Routine"),
}
_KEYED = re.compile(r"^(\w+)\[([^\]]*)\]")


def record_words(resource_type: str) -> str:
    """'Visit' for an Encounter, and so on (the type itself when unknown)."""
    return tr(RECORD_WORDS.get(resource_type, resource_type))


def field_label(resource_type: str, path: str) -> str:
    """A disputed path as the field's label: 'Phone', 'Status', 'Birth date'."""
    keyed = _KEYED.match(path)
    top = keyed.group(1) if keyed else path.split(".", 1)[0]
    if top == "telecom":
        key = keyed.group(2) if keyed else ""
        return tr("Email") if "system=email" in key else tr("Phone")
    if top == "identifier":
        key = keyed.group(2) if keyed else ""
        return tr("Identity number") if IDENTIFIER_SYSTEM in key else tr("Identifier")
    if top == "code":
        return tr(_CODE_LABEL.get(resource_type, "Medicine"))
    label = _FIELD_LABELS.get(top)
    return tr(label) if label else path


def value_words(resource_type: str, path: str, value: Any) -> str:
    """A value as the app shows it: 'Waiting' for `arrived`, 'Emergency' for priority EM."""
    if value is None:
        return tr("(not recorded)")
    top = path.split(".", 1)[0].split("[", 1)[0]
    if resource_type == "Encounter" and top == "status" and isinstance(value, str):
        return tr(_QUEUE_WORDS[QueueStatus.from_encounter_status(value)])
    if resource_type == "Task" and top == "status" and isinstance(value, str):
        from clinic_tui.domain.referral_workflow import status_words

        return status_words(value)
    if top == "priority" and isinstance(value, dict):
        return tr(_PRIORITY_WORDS[Priority.from_code(concept_code(value))])
    if top == "gender" and isinstance(value, str):
        return tr(_SEX.get(value, value))
    if top == "name" and isinstance(value, list):
        return human_name({"name": value})[0]
    if top in ("telecom", "identifier"):
        return _listed(value, lambda item: item.get("value"))
    return _words(value)


def _listed(value: Any, pick: Any) -> str:
    items = value if isinstance(value, list) else [value]
    words = [str(pick(item)) for item in items if isinstance(item, dict) and pick(item)]
    if words and len(words) == len(items):
        return ", ".join(words)
    return _words(value)


def _words(value: Any) -> str:
    """Common FHIR shapes in words; compact JSON for anything else."""
    if isinstance(value, bool):
        return tr("Yes") if value else tr("No")
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict):
        text = concept_text(value)
        if text:
            return text
        if "value" in value and isinstance(value["value"], int | float):
            return f"{value['value']} {value.get('unit') or ''}".strip()
        if "start" in value or "end" in value:
            return f"{value.get('start') or ''} – {value.get('end') or ''}".strip(" –")
        if isinstance(value.get("text"), str):
            return str(value["text"])
        if isinstance(value.get("display"), str):
            return str(value["display"])
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        words = [_words(item) for item in value]
        if not any(word.startswith(("{", "[")) for word in words):
            return "; ".join(words)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
