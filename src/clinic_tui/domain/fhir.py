"""Pure helpers over FHIR R4 JSON: the indexed columns each cached record carries.

The cache stores every resource whole; these functions only read it, so fields
the app does not model survive every round trip untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clinic_tui.domain.pinyin import given_pinyin, search_keys

Resource = dict[str, Any]

QUEUE_NUMBER_SYSTEM = "urn:clinic-tui:queue-number"
"""Identifier system of the day's queue number on an Encounter."""

PHONE_SYSTEM = "phone"
MAX_COLUMN_TEXT = 500
"""Characters of a name kept in an indexed column (lists, search); the JSON keeps all."""
NO_KNOWN_ALLERGY_CODE = "716186003"
"""SNOMED CT 'No known allergy'."""


def reference_id(reference: Any, resource_type: str | None = None) -> str | None:
    """The id in a Reference such as {'reference': 'Patient/123'}; None when absent."""
    if not isinstance(reference, dict):
        return None
    value = reference.get("reference")
    if not isinstance(value, str) or "/" not in value:
        return None
    kind, _, ident = value.partition("/")
    if ident and "/" not in ident and "?" not in value and not ident.startswith("_history"):
        # The common plain 'Type/id' (every row of a demo clinic reads several): what the
        # general steps below give it, without their splits.
        return ident if resource_type is None or kind == resource_type else None
    # A versioned reference (Practitioner/7/_history/2) names Practitioner 7, not "_history".
    value = value.split("/_history", 1)[0]
    if "?" in value or "/" not in value:
        return None  # a conditional reference (Patient?identifier=...) names no id
    kind, _, ident = value.rstrip("/").rpartition("/")
    kind = kind.rsplit("/", 1)[-1]
    if resource_type is not None and kind != resource_type:
        return None
    return ident or None


def _first(items: Any) -> Any:
    if isinstance(items, list) and items:
        return items[0]
    return None


def concept_text(concept: Any) -> str | None:
    """Human text of a CodeableConcept: its text, else the first coding's display or code."""
    if not isinstance(concept, dict):
        return None
    if isinstance(concept.get("text"), str):
        return str(concept["text"])
    coding = _first(concept.get("coding"))
    if isinstance(coding, dict):
        display = coding.get("display") or coding.get("code")
        return str(display) if display is not None else None
    return None


def concept_code(concept: Any, system_hint: str | None = None) -> str | None:
    """The code of a CodeableConcept, preferring a coding whose system contains `system_hint`."""
    if not isinstance(concept, dict):
        return None
    codings = concept.get("coding") or []
    if not isinstance(codings, list):
        codings = [c for c in codings if isinstance(c, dict)]
    # Read in place (not copied first), as every cached row's columns are.
    if system_hint:
        for coding in codings:
            if (
                isinstance(coding, dict)
                and system_hint in str(coding.get("system", ""))
                and coding.get("code")
            ):
                return str(coding["code"])
    for coding in codings:
        if isinstance(coding, dict) and coding.get("code"):
            return str(coding["code"])
    return None


def human_name(resource: Resource) -> tuple[str, str, str]:
    """(display name, family, given) of a Patient or Practitioner.

    Chinese names read family then given with no space; Latin names read given then family.
    """
    name = _first(resource.get("name")) or {}
    family = str(name.get("family") or "")
    given = (
        "".join(name.get("given") or []) if _is_han(family) else " ".join(name.get("given") or [])
    )
    if isinstance(name.get("text"), str):
        return name["text"], family, given
    if _is_han(family + given):
        return family + given, family, given
    return " ".join(part for part in (given, family) if part), family, given


def _is_han(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


def _identifier(resource: Resource, system: str | None = None) -> str | None:
    for identifier in resource.get("identifier") or []:
        if not isinstance(identifier, dict):
            continue
        if system is None or identifier.get("system") == system:
            value = identifier.get("value")
            return str(value) if value is not None else None
    return None


def _telecom(resource: Resource, system: str) -> str | None:
    for contact in resource.get("telecom") or []:
        if isinstance(contact, dict) and contact.get("system") == system and contact.get("value"):
            return str(contact["value"])
    return None


def meta_columns(resource: Resource) -> dict[str, Any]:
    """Server version and lastUpdated from meta (None for a record never synced)."""
    meta = resource.get("meta") or {}
    return {"version_id": meta.get("versionId"), "last_updated": meta.get("lastUpdated")}


def patient_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of a Patient."""
    from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM

    display, family, given = human_name(resource)
    full, initials = search_keys(display)
    return {
        # Columns for lists and search, capped; the whole name stays in resource_json.
        "name": display[:MAX_COLUMN_TEXT],
        "family": family[:MAX_COLUMN_TEXT],
        "given": given[:MAX_COLUMN_TEXT],
        "pinyin_full": full,
        "pinyin_initials": initials,
        "pinyin_given": given_pinyin(given),
        "gender": resource.get("gender") or "unknown",
        "birth_date": resource.get("birthDate"),
        "identifier": _identifier(resource, IDENTIFIER_SYSTEM) or _identifier(resource),
        "phone": _telecom(resource, "phone"),
        "organization_id": reference_id(resource.get("managingOrganization"), "Organization"),
        "active": resource.get("active", True) is not False,
        "address": home_address(resource)[:MAX_COLUMN_TEXT],
    }


def home_address(resource: Resource) -> str:
    """A Patient's home address as a village worker reads it: its first line, else its text."""
    addresses = [a for a in resource.get("address") or [] if isinstance(a, dict)]
    home = next((a for a in addresses if a.get("use") == "home"), _first(addresses))
    if not isinstance(home, dict):
        return ""
    lines = [str(line) for line in home.get("line") or [] if isinstance(line, str)]
    return " ".join(lines) or str(home.get("text") or "")


def practitioner_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of a Practitioner."""
    return {"name": human_name(resource)[0][:MAX_COLUMN_TEXT]}


def organization_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of an Organization."""
    return {
        "name": str(resource.get("name") or ""),
        "kind": concept_code(_first(resource.get("type"))),
        "part_of": reference_id(resource.get("partOf"), "Organization"),
    }


def encounter_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of an Encounter (a queue registration or past visit)."""
    period = resource.get("period") or {}
    start = period.get("start")
    number = _identifier(resource, QUEUE_NUMBER_SYSTEM)
    episodes = episode_ids(resource)
    return {
        "patient_id": reference_id(resource.get("subject"), "Patient"),
        "organization_id": reference_id(resource.get("serviceProvider"), "Organization"),
        "status": str(resource.get("status") or "unknown"),
        "priority": concept_code(resource.get("priority")),
        "chief_complaint": concept_text(_first(resource.get("reasonCode"))) or "",
        "period_start": start,
        "period_end": period.get("end"),
        # A chronic-disease follow-up (linked to an EpisodeOfCare: at home, by phone) is no
        # registration in the clinic's queue: it keeps no queue date.
        "queue_date": start[:10] if isinstance(start, str) and not episodes else None,
        "queue_number": int(number) if number and number.isdigit() else None,
        "episode_id": episodes[0] if episodes else None,
        "episode_ids": f" {' '.join(episodes)} " if episodes else None,
    }


def episode_ids(resource: Resource) -> list[str]:
    """The EpisodeOfCare ids an Encounter names (a 随访 may cover several programmes)."""
    found = [
        reference_id(ref, "EpisodeOfCare")
        for ref in resource.get("episodeOfCare") or []
        if isinstance(ref, dict)
    ]
    return [ident for ident in found if ident]


def condition_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of a Condition (ICD-10 coded problem)."""
    code = resource.get("code")
    return {
        "patient_id": reference_id(resource.get("subject"), "Patient"),
        "code": concept_code(code, "icd"),
        "display": concept_text(code) or "",
        "clinical_status": concept_code(resource.get("clinicalStatus")) or "active",
        "onset": resource.get("onsetDateTime") or resource.get("recordedDate"),
    }


def allergy_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of an AllergyIntolerance."""
    code = resource.get("code")
    reaction = _first(resource.get("reaction")) or {}
    manifestation = concept_text(_first(reaction.get("manifestation")))
    return {
        "patient_id": reference_id(resource.get("patient"), "Patient"),
        "code": concept_code(code),
        "display": concept_text(code) or "",
        "clinical_status": concept_code(resource.get("clinicalStatus")) or "active",
        "criticality": resource.get("criticality"),
        "reaction": manifestation,
        "no_known": concept_code(code) == NO_KNOWN_ALLERGY_CODE,
    }


def observation_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of an Observation; a blood-pressure panel keeps both components."""
    code = resource.get("code")
    value = resource.get("valueQuantity") or {}
    value2 = None
    components = resource.get("component") or []
    if components and not value:
        by_code = {concept_code(c.get("code")): c.get("valueQuantity") or {} for c in components}
        value = by_code.get("8480-6") or {}
        value2 = (by_code.get("8462-4") or {}).get("value")
    category = concept_code(_first(resource.get("category")))
    return {
        "patient_id": reference_id(resource.get("subject"), "Patient"),
        "code": concept_code(code, "loinc"),
        "category": category,
        "value": value.get("value"),
        "value2": value2,
        "unit": value.get("unit") or value.get("code"),
        "effective": resource.get("effectiveDateTime"),
    }


def medication_request_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of a MedicationRequest."""
    dosage = _first(resource.get("dosageInstruction")) or {}
    group = resource.get("groupIdentifier") or {}
    return {
        "patient_id": reference_id(resource.get("subject"), "Patient"),
        "medication": concept_text(resource.get("medicationCodeableConcept")) or "",
        "dosage_text": str(dosage.get("text") or ""),
        "status": str(resource.get("status") or "unknown"),
        "authored_on": resource.get("authoredOn"),
        "group_id": group.get("value"),
    }


def service_request_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of a ServiceRequest (a referral or teleconsultation)."""
    performers = resource.get("performer") or []
    performer = _first(performers)
    department = performers[1] if isinstance(performers, list) and len(performers) > 1 else None
    return {
        "department_org": reference_id(department, "Organization"),
        "specialty": concept_code(resource.get("performerType")),
        "reason_code": concept_code(_first(resource.get("reasonCode")), "icd"),
        "patient_id": reference_id(resource.get("subject"), "Patient"),
        "category": concept_code(_first(resource.get("category"))),
        "status": str(resource.get("status") or "unknown"),
        "priority": resource.get("priority"),
        "reason": concept_text(_first(resource.get("reasonCode"))) or "",
        "requester_org": reference_id(resource.get("requester"), "Organization"),
        "performer_org": reference_id(performer, "Organization"),
        "authored_on": resource.get("authoredOn"),
    }


TASK_KIND_SYSTEM = "urn:clinic-tui:task-kind"
"""Task.code system of a referral's workflow ('referral') or a downward follow-up ('follow-up')."""
DEPARTMENT_EXTENSION = "urn:clinic-tui:fhir:extension:department"
"""The department (an Organization partOf the hospital) a referral's Task waits at."""
PROGRAMME_SYSTEM = "urn:clinic-tui:chronic-programme"
"""EpisodeOfCare.type codes: 'hypertension', 'diabetes' (国家基本公共卫生服务 programmes)."""
LEAVE_REASON_EXTENSION = "urn:clinic-tui:fhir:extension:programme-leave-reason"
"""Why a patient left a chronic-disease programme: moved, died, declined."""


def _extension_reference(resource: Resource, url: str, kind: str) -> str | None:
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == url:
            return reference_id(extension.get("valueReference"), kind)
    return None


def _task_kind(resource: Resource) -> str | None:
    code = resource.get("code")
    for coding in (code.get("coding") or []) if isinstance(code, dict) else []:
        if isinstance(coding, dict) and coding.get("system") == TASK_KIND_SYSTEM:
            return str(coding.get("code") or "") or None
    # Tasks written without the code (older demo data) are referrals when they focus on one.
    return "referral" if reference_id(resource.get("focus"), "ServiceRequest") else None


def task_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of a Task (the workflow state of a referral, or a follow-up)."""
    restriction = resource.get("restriction") or {}
    period = restriction.get("period") or {} if isinstance(restriction, dict) else {}
    return {
        "focus_id": reference_id(resource.get("focus")),
        "patient_id": reference_id(resource.get("for"), "Patient"),
        "status": str(resource.get("status") or "unknown"),
        "owner_org": reference_id(resource.get("owner"), "Organization"),
        "requester_org": reference_id(resource.get("requester"), "Organization"),
        "authored_on": resource.get("authoredOn"),
        "last_modified": resource.get("lastModified"),
        "kind": _task_kind(resource),
        "priority": resource.get("priority"),
        "business_status": concept_code(resource.get("businessStatus")),
        "department_org": _extension_reference(resource, DEPARTMENT_EXTENSION, "Organization"),
        "specialty": concept_code(_first(resource.get("performerType"))),
        "appointment": period.get("start"),
        "due_date": (period.get("end") or "")[:10] or None,
        "part_of": reference_id(_first(resource.get("partOf")), "Task"),
    }


def communication_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of a Communication (a message of a referral's thread)."""
    about = [a for a in resource.get("about") or [] if isinstance(a, dict)]
    task_id = next((i for a in about if (i := reference_id(a, "Task"))), None)
    request_id = next((i for a in about if (i := reference_id(a, "ServiceRequest"))), None)
    return {
        "patient_id": reference_id(resource.get("subject"), "Patient"),
        "task_id": task_id,
        "request_id": request_id,
        "sender_org": reference_id(resource.get("sender"), "Organization"),
        "recipient_org": reference_id(_first(resource.get("recipient")), "Organization"),
        "kind": concept_code(_first(resource.get("category"))),
        "sent": resource.get("sent"),
        "in_response_to": reference_id(_first(resource.get("inResponseTo")), "Communication"),
    }


def document_reference_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of a DocumentReference (a consultation note of one visit)."""
    context = resource.get("context") or {}
    return {
        "patient_id": reference_id(resource.get("subject"), "Patient"),
        "encounter_id": reference_id(_first(context.get("encounter")), "Encounter"),
        "status": str(resource.get("status") or "unknown"),
        "doc_status": resource.get("docStatus"),
        "date": resource.get("date"),
        "description": str(resource.get("description") or ""),
    }


def episode_of_care_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of an EpisodeOfCare (an enrolment in a chronic-disease programme)."""
    period = resource.get("period") or {}
    return {
        "patient_id": reference_id(resource.get("patient"), "Patient"),
        "programme": concept_code(_first(resource.get("type")), PROGRAMME_SYSTEM) or "",
        "status": str(resource.get("status") or "unknown"),
        "period_start": period.get("start") if isinstance(period, dict) else None,
        "period_end": period.get("end") if isinstance(period, dict) else None,
        "organization_id": reference_id(resource.get("managingOrganization"), "Organization"),
        "care_manager_id": reference_id(resource.get("careManager"), "Practitioner"),
        "leave_reason": _extension_code(resource, LEAVE_REASON_EXTENSION),
    }


def questionnaire_response_columns(resource: Resource) -> dict[str, Any]:
    """Indexed columns of a QuestionnaireResponse (the answers of a follow-up form)."""
    return {
        "patient_id": reference_id(resource.get("subject"), "Patient"),
        "encounter_id": reference_id(resource.get("encounter"), "Encounter"),
        "questionnaire": resource.get("questionnaire"),
        "authored": resource.get("authored"),
        "status": str(resource.get("status") or "unknown"),
    }


def _extension_code(resource: Resource, url: str) -> str | None:
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == url:
            return concept_code(extension.get("valueCodeableConcept")) or (
                str(extension.get("valueCode") or "") or None
            )
    return None


COLUMN_EXTRACTORS: dict[str, Callable[[Resource], dict[str, Any]]] = {
    "Patient": patient_columns,
    "Practitioner": practitioner_columns,
    "Organization": organization_columns,
    "Encounter": encounter_columns,
    "Condition": condition_columns,
    "AllergyIntolerance": allergy_columns,
    "Observation": observation_columns,
    "MedicationRequest": medication_request_columns,
    "ServiceRequest": service_request_columns,
    "Task": task_columns,
    "DocumentReference": document_reference_columns,
    "Communication": communication_columns,
    "EpisodeOfCare": episode_of_care_columns,
    "QuestionnaireResponse": questionnaire_response_columns,
}
"""Resource types the cache keeps, each with the function that reads its indexed columns."""
