"""FHIR R4 JSON for what the chart's forms record (pure: ids and times are handed in).

Condition, AllergyIntolerance, vital-sign Observations and a consultation note
(DocumentReference), coded as shared/ARCHITECTURE.md and shared/GLOSSARY.md map them.
An edit starts from the cached JSON and changes only what the form owns, so
fields this app does not model are kept.
"""

from __future__ import annotations

import base64
import copy
import re
from datetime import date, datetime
from typing import Any

from clinic_tui.domain.chart_entry import (
    SNOMED_SYSTEM,
    AllergyEntry,
    ConditionEntry,
    DemographicsEntry,
    NoteEntry,
)
from clinic_tui.domain.fhir import NO_KNOWN_ALLERGY_CODE, Resource
from clinic_tui.domain.validation import normalise_phone
from clinic_tui.domain.vital_entry import (
    BMI,
    BP_PANEL,
    FIELDS_BY_KEY,
    LOINC_SYSTEM,
    SPO2_ARTERIAL,
    UCUM_SYSTEM,
    VITAL_FIELDS,
    VitalsEntry,
)
from clinic_tui.i18n import N_

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
CONDITION_CLINICAL_SYSTEM = TERMINOLOGY + "condition-clinical"
CONDITION_VERIFICATION_SYSTEM = TERMINOLOGY + "condition-ver-status"
CONDITION_CATEGORY_SYSTEM = TERMINOLOGY + "condition-category"
ALLERGY_CLINICAL_SYSTEM = TERMINOLOGY + "allergyintolerance-clinical"
ALLERGY_VERIFICATION_SYSTEM = TERMINOLOGY + "allergyintolerance-verification"
OBSERVATION_CATEGORY_SYSTEM = TERMINOLOGY + "observation-category"

# Note type and SOAP section codes: LOINC, as HL7 C-CDA progress notes use them.
PROGRESS_NOTE = ("11506-3", "Progress note")
SOAP_SECTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("subjective", "61150-9", N_("Subjective"), "主观"),
    ("objective", "61149-1", N_("Objective"), "客观"),
    ("assessment", "51848-0", N_("Assessment"), "评估"),
    ("plan", "18776-5", N_("Plan of care"), "计划"),
)
"""(NoteEntry field, LOINC section code, English title, Chinese title)."""


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _ref(kind: str, ident: str, display: str | None = None) -> dict[str, str]:
    reference = {"reference": f"{kind}/{ident}"}
    if display:
        reference["display"] = display
    return reference


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# ----- Condition ------------------------------------------------------------------------------


def new_condition(
    ident: str,
    patient_id: str,
    entry: ConditionEntry,
    now: datetime,
    encounter_id: str | None,
) -> Resource:
    """A Condition coded in ICD-10; a diagnosis of this visit points at its Encounter."""
    hit = entry.code
    this_visit = entry.this_visit and encounter_id is not None
    category = "encounter-diagnosis" if this_visit else "problem-list-item"
    resource: Resource = {
        "resourceType": "Condition",
        "id": ident,
        "clinicalStatus": _coding(CONDITION_CLINICAL_SYSTEM, entry.clinical_status),
        "verificationStatus": _coding(CONDITION_VERIFICATION_SYSTEM, entry.verification),
        "category": [_coding(CONDITION_CATEGORY_SYSTEM, category)],
        "code": {
            "coding": [{"system": hit.system, "code": hit.code, "display": hit.display_en}],
            "text": hit.display_zh or hit.display_en,
        },
        "subject": _ref("Patient", patient_id),
        "recordedDate": _stamp(now),
    }
    if this_visit:
        resource["encounter"] = _ref("Encounter", str(encounter_id))
    if entry.onset is not None:
        resource["onsetDateTime"] = entry.onset.isoformat()
    return resource


def condition_with_status(
    before: Resource, clinical_status: str, verification: str, today: date
) -> Resource:
    """`before` with new statuses; resolving sets abatement, entered-in-error drops clinical.

    FHIR R4 (Condition invariant con-5): clinicalStatus SHALL NOT be present when the
    verification is entered-in-error.
    """
    after = copy.deepcopy(before)
    after["verificationStatus"] = _coding(CONDITION_VERIFICATION_SYSTEM, verification)
    if verification == "entered-in-error":
        after.pop("clinicalStatus", None)
        return after
    after["clinicalStatus"] = _coding(CONDITION_CLINICAL_SYSTEM, clinical_status)
    if clinical_status in ("resolved", "inactive", "remission"):
        after.setdefault("abatementDateTime", today.isoformat())
    else:
        after.pop("abatementDateTime", None)
    return after


# ----- AllergyIntolerance -------------------------------------------------------------------


def new_allergy(ident: str, patient_id: str, entry: AllergyEntry, now: datetime) -> Resource:
    """An AllergyIntolerance: substance (coded when chosen from the list), reaction, severity."""
    code: dict[str, Any] = {"text": entry.substance.strip()}
    if entry.substance_code is not None:
        code["coding"] = [
            {
                "system": SNOMED_SYSTEM,
                "code": entry.substance_code.code,
                "display": entry.substance_code.en,
            }
        ]
    resource: Resource = {
        "resourceType": "AllergyIntolerance",
        "id": ident,
        "clinicalStatus": _coding(ALLERGY_CLINICAL_SYSTEM, "active"),
        "verificationStatus": _coding(ALLERGY_VERIFICATION_SYSTEM, "confirmed"),
        "type": "allergy",
        "category": [entry.category],
        "code": code,
        "patient": _ref("Patient", patient_id),
        "recordedDate": _stamp(now),
    }
    if entry.criticality:
        resource["criticality"] = entry.criticality
    if entry.reaction.strip():
        manifestation: dict[str, Any] = {"text": entry.reaction.strip()}
        if entry.reaction_code:
            manifestation["coding"] = [{"system": SNOMED_SYSTEM, "code": entry.reaction_code}]
        reaction: dict[str, Any] = {"manifestation": [manifestation]}
        if entry.severity:
            reaction["severity"] = entry.severity
        resource["reaction"] = [reaction]
    return resource


def no_known_allergies(ident: str, patient_id: str, now: datetime) -> Resource:
    """The explicit statement 'no known allergy' (SNOMED CT 716186003), as GLOSSARY.md codes it."""
    return {
        "resourceType": "AllergyIntolerance",
        "id": ident,
        "clinicalStatus": _coding(ALLERGY_CLINICAL_SYSTEM, "active"),
        "verificationStatus": _coding(ALLERGY_VERIFICATION_SYSTEM, "confirmed"),
        "code": {
            "coding": [
                {
                    "system": SNOMED_SYSTEM,
                    "code": NO_KNOWN_ALLERGY_CODE,
                    "display": "No known allergy",
                }
            ],
            "text": "无已知过敏",
        },
        "patient": _ref("Patient", patient_id),
        "recordedDate": _stamp(now),
    }


def allergy_entered_in_error(before: Resource) -> Resource:
    """`before` marked entered-in-error: kept for the record, never shown as an allergy again.

    FHIR R4 (AllergyIntolerance invariant ait-2): no clinicalStatus when entered-in-error.
    """
    after = copy.deepcopy(before)
    after["verificationStatus"] = _coding(ALLERGY_VERIFICATION_SYSTEM, "entered-in-error")
    after.pop("clinicalStatus", None)
    return after


def allergy_inactive(before: Resource) -> Resource:
    """`before` made inactive: a 'no known allergy' statement once an allergy is recorded."""
    after = copy.deepcopy(before)
    after["clinicalStatus"] = _coding(ALLERGY_CLINICAL_SYSTEM, "inactive")
    return after


# ----- vital signs ----------------------------------------------------------------------------


def _quantity(value: float, key: str) -> dict[str, Any]:
    field = FIELDS_BY_KEY[key]
    return {"value": value, "unit": field.unit, "system": UCUM_SYSTEM, "code": field.ucum}


def vital_observations(
    ids: list[str],
    patient_id: str,
    entry: VitalsEntry,
    now: datetime,
    encounter_id: str | None,
    height_for_bmi: float | None = None,
) -> list[Resource]:
    """One Observation per measurement (blood pressure as one panel), then BMI if derivable.

    `ids` supplies ids in order (at least one per field, plus one). BMI is derived from
    this entry's weight and its height, else `height_for_bmi` (an adult's last height).
    """
    pool = iter(ids)
    values = entry.values

    def observation(code: str, display: str, zh: str, **value: Any) -> Resource:
        resource: Resource = {
            "resourceType": "Observation",
            "id": next(pool),
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": OBSERVATION_CATEGORY_SYSTEM,
                            "code": "vital-signs",
                            "display": "Vital Signs",
                        }
                    ],
                    "text": "生命体征",
                }
            ],
            "code": {"coding": [{"system": LOINC_SYSTEM, "code": code, "display": display}]},
            "subject": _ref("Patient", patient_id),
            "effectiveDateTime": _stamp(now),
            **value,
        }
        resource["code"]["text"] = zh
        if encounter_id is not None:
            resource["encounter"] = _ref("Encounter", encounter_id)
        return resource

    found: list[Resource] = []
    if "systolic" in values and "diastolic" in values:
        components = []
        for key in ("systolic", "diastolic"):
            field = FIELDS_BY_KEY[key]
            components.append(
                {
                    "code": {
                        "coding": [
                            {"system": LOINC_SYSTEM, "code": field.loinc, "display": field.display}
                        ]
                    },
                    "valueQuantity": _quantity(values[key], key),
                }
            )
        found.append(observation(BP_PANEL[0], BP_PANEL[1], "血压", component=components))
    names_zh = {
        "heart_rate": "心率",
        "respiratory_rate": "呼吸频率",
        "temperature": "体温",
        "spo2": "血氧饱和度",
        "weight": "体重",
        "height": "身高",
    }
    for field in VITAL_FIELDS:
        if field.key in ("systolic", "diastolic") or field.key not in values:
            continue
        made = observation(
            field.loinc,
            field.display,
            names_zh[field.key],
            valueQuantity=_quantity(values[field.key], field.key),
        )
        if field.key == "spo2":
            # The R4 oxygen-saturation profile requires 2708-6; pulse oximetry is the method.
            made["code"]["coding"].insert(
                0, {"system": LOINC_SYSTEM, "code": SPO2_ARTERIAL[0], "display": SPO2_ARTERIAL[1]}
            )
        found.append(made)
    height = values.get("height", height_for_bmi)
    if "weight" in values and height:
        from clinic_tui.domain.vital_entry import body_mass_index

        sources = [r for r in found if r["code"]["coding"][-1]["code"] in ("29463-7", "8302-2")]
        bmi = observation(
            BMI[0],
            BMI[1],
            "体重指数",
            valueQuantity={
                "value": body_mass_index(values["weight"], height),
                "unit": BMI[2],
                "system": UCUM_SYSTEM,
                "code": BMI[3],
            },
        )
        bmi["derivedFrom"] = [_ref("Observation", r["id"]) for r in sources]
        found.append(bmi)
    return found


# ----- consultation note (DocumentReference) ------------------------------------------------


def _section_heading(letter: str, zh: str, en: str) -> str:
    return f"[{letter}] {zh} {en}"


_HEADINGS = {_section_heading(en[0], zh, en): key for key, _code, en, zh in SOAP_SECTIONS}
_HEADING = re.compile(r"^\[([SOAP])\] ")


def note_text(note: NoteEntry) -> str:
    """The note as the plain text the DocumentReference carries: SOAP headings, or free text."""
    if not note.is_soap:
        return note.free_text.strip()
    parts = []
    for key, _code, en, zh in SOAP_SECTIONS:
        text = getattr(note, key).strip()
        if text:
            parts.append(f"{_section_heading(en[0], zh, en)}\n{text}")
    return "\n\n".join(parts)


def parse_note_text(text: str) -> NoteEntry:
    """The NoteEntry of a note's text (inverse of note_text; unheaded text is free text)."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    free: list[str] = []
    for line in text.split("\n"):
        if line in _HEADINGS:
            current = _HEADINGS[line]
            sections[current] = []
        elif current is None:
            free.append(line)
        else:
            sections[current].append(line)
    if not sections:
        return NoteEntry(free_text=text.strip())
    return NoteEntry(**{key: "\n".join(lines).strip() for key, lines in sections.items()})


NOTE_CATEGORY_SYSTEM = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
"""The 'clinical-note' category, as US Core files clinical notes (the guide names no other)."""


def note_document(
    ident: str,
    patient_id: str,
    encounter_id: str,
    note: NoteEntry,
    now: datetime,
    author: dict[str, str],
    before: Resource | None = None,
) -> Resource:
    """The visit's consultation note as a DocumentReference (new, or `before` rewritten).

    A DocumentReference rather than a Composition: the reference server searches its
    patient and encounter (so a clinic's scoped download takes only its own notes) and
    ignores those of a Composition. The text is UTF-8 plain text with SOAP headings.
    """
    data = base64.b64encode(note_text(note).encode("utf-8")).decode("ascii")
    resource: Resource = copy.deepcopy(before) if before is not None else {}
    amended = before is not None and bool((before.get("meta") or {}).get("versionId"))
    resource.update(
        {
            "resourceType": N_("DocumentReference"),
            "id": ident,
            "status": "current",
            "docStatus": "amended" if amended else "final",
            "type": {
                "coding": [
                    {"system": LOINC_SYSTEM, "code": PROGRESS_NOTE[0], "display": PROGRESS_NOTE[1]}
                ],
                "text": "病程记录",
            },
            "category": [
                {
                    "coding": [
                        {
                            "system": NOTE_CATEGORY_SYSTEM,
                            "code": "clinical-note",
                            "display": "Clinical Note",
                        }
                    ]
                }
            ],
            "subject": _ref("Patient", patient_id),
            "date": _stamp(now),
            "description": "门诊病程记录",
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "data": data,
                        "title": "SOAP" if note.is_soap else "病程记录",
                    }
                }
            ],
            "context": {"encounter": [_ref("Encounter", encounter_id)]},
        }
    )
    resource.setdefault("author", [author])
    return resource


def note_of(resource: Resource) -> NoteEntry:
    """The NoteEntry a note's DocumentReference holds (to reopen it in the form)."""
    for content in resource.get("content") or []:
        attachment = (content or {}).get("attachment") or {}
        if str(attachment.get("contentType", "")).startswith("text/plain") and attachment.get(
            "data"
        ):
            try:
                text = base64.b64decode(attachment["data"]).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                continue
            return parse_note_text(text)
    return NoteEntry()


# ----- Encounter and Patient ------------------------------------------------------------------


def with_chief_complaint(before: Resource, complaint: str) -> Resource:
    """The Encounter with its reasonCode text replaced (codings from elsewhere are dropped)."""
    after = copy.deepcopy(before)
    after["reasonCode"] = [{"text": complaint.strip()}]
    return after


def with_demographics(before: Resource, entry: DemographicsEntry) -> Resource:
    """The Patient with phone, address and one contact corrected; other telecoms are kept."""
    after = copy.deepcopy(before)
    telecom = [
        item
        for item in after.get("telecom") or []
        if not (isinstance(item, dict) and item.get("system") == "phone")
    ]
    phone = normalise_phone(entry.phone)
    if phone:
        old = next(
            (
                item
                for item in before.get("telecom") or []
                if isinstance(item, dict) and item.get("system") == "phone"
            ),
            {"system": "phone", "use": "mobile"},
        )
        telecom.insert(0, {**old, "value": phone})
    if telecom:
        after["telecom"] = telecom
    else:
        after.pop("telecom", None)
    addresses = [a for a in after.get("address") or [] if isinstance(a, dict)]
    if entry.address.strip():
        if addresses and address_text(addresses[0]) == entry.address.strip():
            pass  # unchanged: keep its structured parts
        else:
            addresses = [{"use": "home", "text": entry.address.strip()}, *addresses[1:]]
    else:
        addresses = addresses[1:]
    if addresses:
        after["address"] = addresses
    else:
        after.pop("address", None)
    contacts = [c for c in after.get("contact") or [] if isinstance(c, dict)]
    rest = contacts[1:]
    if entry.contact_name.strip():
        contact: dict[str, Any] = dict(contacts[0]) if contacts else {}
        contact["name"] = {"text": entry.contact_name.strip()}
        contact_phone = normalise_phone(entry.contact_phone)
        if contact_phone:
            contact["telecom"] = [{"system": "phone", "value": contact_phone}]
        else:
            contact.pop("telecom", None)
        contacts = [contact, *rest]
    else:
        contacts = rest
    if contacts:
        after["contact"] = contacts
    else:
        after.pop("contact", None)
    return after


def address_text(address: dict[str, Any]) -> str:
    """One line for an Address: its text, else its parts from province down to the line."""
    if isinstance(address.get("text"), str):
        return str(address["text"])
    parts = [address.get(key) for key in ("state", "city", "district")]
    parts += list(address.get("line") or [])
    return "".join(str(part) for part in parts if part)


def demographics_of(resource: Resource) -> DemographicsEntry:
    """The current values the demographics form starts from."""
    phone = next(
        (
            str(item.get("value") or "")
            for item in resource.get("telecom") or []
            if isinstance(item, dict) and item.get("system") == "phone"
        ),
        "",
    )
    addresses = [a for a in resource.get("address") or [] if isinstance(a, dict)]
    contacts = [c for c in resource.get("contact") or [] if isinstance(c, dict)]
    contact = contacts[0] if contacts else {}
    name = contact.get("name") or {}
    given = [str(part) for part in name.get("given") or []]
    contact_name = str(name.get("text") or "".join([str(name.get("family") or ""), *given]))
    contact_phone = next(
        (
            str(item.get("value") or "")
            for item in contact.get("telecom") or []
            if isinstance(item, dict) and item.get("system") == "phone"
        ),
        "",
    )
    return DemographicsEntry(
        phone=phone,
        address=address_text(addresses[0]) if addresses else "",
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
