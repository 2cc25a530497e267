"""A walk-in patient as typed at the desk: their name's parts, contacts, and the FHIR Patient.

The Patient written for a new walk-in maps the desk's fields onto FHIR R4:
identity number and medical-insurance number -> Patient.identifier (each with
its system and a v2-0203 type), phone -> telecom (mobile or home), address ->
address, guardian and emergency contact -> contact with HL7 relationship codes,
and a deliberate second record for someone already on file -> an extension
that says which record matched, on what, why this is someone else, and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from clinic_tui.domain.models import Clinic, Gender, PatientSummary
from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM
from clinic_tui.i18n import N_

Resource = dict[str, Any]

INSURANCE_SYSTEM = "urn:clinic-tui:medical-insurance-number"
"""Identifier system of a basic medical-insurance (医保) number, in the project's urn:clinic-tui
namespace like the queue number: no national system URI is published for it."""
IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"
CONTACT_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0131"
"""Patient.contact.relationship (R4 binding, extensible): C emergency contact, N next of kin."""
RELATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
"""Family relationships and GUARD (guardian) for Patient.contact.relationship."""
DUPLICATE_DECISION_URL = "urn:clinic-tui:fhir:extension:registered-despite-match"
"""Extension on a Patient registered although it matched one already on file (see
DuplicateDecision): sub-extensions `matched` (Reference, one per record), `on` (code),
`reason` (string) and `decided` (dateTime)."""


class Relationship(StrEnum):
    """How a guardian or contact is related to the patient (v3-RoleCode codes)."""

    MOTHER = "MTH"
    FATHER = "FTH"
    GRANDPARENT = "GRPRN"
    SPOUSE = "SPS"
    CHILD = "CHILD"
    SIBLING = "SIB"
    GUARDIAN = "GUARD"
    """Not family: a legal guardian."""
    OTHER = "O"

    @property
    def label(self) -> str:
        """English label (screens translate it)."""
        return _RELATION_LABELS[self]


_RELATION_LABELS = {
    Relationship.MOTHER: N_("Mother"),
    Relationship.FATHER: N_("Father"),
    Relationship.GRANDPARENT: N_("Grandparent"),
    Relationship.SPOUSE: N_("Spouse"),
    Relationship.CHILD: N_("Son or daughter"),
    Relationship.SIBLING: N_("Brother or sister"),
    Relationship.GUARDIAN: N_("Legal guardian"),
    Relationship.OTHER: N_("Other"),
}
_RELATION_DISPLAY = {
    Relationship.MOTHER: "mother",
    Relationship.FATHER: "father",
    Relationship.GRANDPARENT: "grandparent",
    Relationship.SPOUSE: "spouse",
    Relationship.CHILD: "child",
    Relationship.SIBLING: "sibling",
    Relationship.GUARDIAN: "guardian",
}


@dataclass(frozen=True)
class Contact:
    """A guardian or an emergency contact: who, how related, which phone."""

    name: str
    relationship: Relationship = Relationship.OTHER
    phone: str | None = None
    phone_is_mobile: bool = True


class MatchedOn(StrEnum):
    """What a new registration shares with a patient already on file."""

    IDENTIFIER = "identifier"
    NAME_AND_PHONE = "name-phone"
    NAME_AND_BIRTH_DATE = "name-birth-date"


@dataclass(frozen=True)
class DuplicateDecision:
    """The desk's explicit decision to create a record although others matched."""

    matched: tuple[tuple[str, str], ...]
    """(patient id, name) of every record that matched."""
    on: MatchedOn
    reason: str
    decided: datetime


COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
        "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里",
        "呼延", "万俟", "闻人", "澹台", "公冶", "太史", "申屠", "钟离", "赫连", "司空",
    }
)  # fmt: skip
"""Two-character family names: 欧阳明 is 欧阳 + 明, not 欧 + 阳明."""


@dataclass(frozen=True)
class NewPatient:
    """A patient registered at the desk, already validated (see domain.validation)."""

    name: str
    gender: Gender
    birth_date: date
    identifier: str | None = None
    """Resident identity number (18 characters), if the patient carries the card."""
    phone: str | None = None
    """Digits only: an 11-digit mobile, or a landline with its area code (0 first)."""
    address: str | None = None
    insurance_number: str | None = None
    guardian: Contact | None = None
    """For a child: who brought them and may decide for them."""
    emergency_contact: Contact | None = None
    duplicate_decision: DuplicateDecision | None = None
    """Set when the desk chose to register although a patient on file matched."""
    phone_is_mobile: bool = True


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def split_name(name: str) -> tuple[str, list[str]]:
    """(family, given) of a typed name.

    Chinese names put the family name first: one character, or two for a known
    compound surname. Latin names put it last ("Li Wei" stays readable for a
    foreign resident typed in Western order).
    """
    text = "".join(name.split()) if all(_is_han(c) for c in name if not c.isspace()) else name
    text = text.strip()
    if not text:
        return "", []
    if _is_han(text[0]):
        size = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
        given = text[size:]
        return text[:size], [given] if given else []
    words = text.split()
    if len(words) == 1:
        return words[0], []
    return words[-1], words[:-1]


def _phone(value: str, mobile: bool) -> Resource:
    return {"system": "phone", "value": value, "use": "mobile" if mobile else "home"}


def _contact(contact: Contact, roles: list[str]) -> Resource:
    relationship: list[Resource] = [
        {"coding": [{"system": CONTACT_ROLE_SYSTEM, "code": role}]} for role in roles
    ]
    if contact.relationship is not Relationship.OTHER:
        coding = {
            "system": RELATION_SYSTEM,
            "code": contact.relationship.value,
            "display": _RELATION_DISPLAY[contact.relationship],
        }
        relationship.append({"coding": [coding], "text": contact.relationship.label})
    resource: Resource = {"relationship": relationship, "name": {"text": contact.name}}
    if contact.phone:
        resource["telecom"] = [_phone(contact.phone, contact.phone_is_mobile)]
    return resource


def _decision_extension(decision: DuplicateDecision) -> Resource:
    parts: list[Resource] = [
        {"url": "matched", "valueReference": {"reference": f"Patient/{ident}", "display": name}}
        for ident, name in decision.matched
    ]
    parts += [
        {"url": "on", "valueCode": decision.on.value},
        {"url": "reason", "valueString": decision.reason},
        {"url": "decided", "valueDateTime": decision.decided.isoformat(timespec="seconds")},
    ]
    return {"url": DUPLICATE_DECISION_URL, "extension": parts}


def patient_resource(patient_id: str, patient: NewPatient, clinic: Clinic) -> Resource:
    """The FHIR R4 Patient created for a new walk-in (see the module docstring)."""
    name = patient.name.strip()
    family, given = split_name(name)
    official: Resource = {"use": "official", "text": name, "family": family}
    if given:
        official["given"] = given
    resource: Resource = {
        "resourceType": "Patient",
        "id": patient_id,
        "active": True,
        "name": [official],
        "gender": patient.gender.value,
        "birthDate": patient.birth_date.isoformat(),
        "managingOrganization": {"reference": f"Organization/{clinic.id}", "display": clinic.name},
    }
    identifiers: list[Resource] = []
    if patient.identifier:
        identifiers.append({"system": IDENTIFIER_SYSTEM, "value": patient.identifier.upper()})
    if patient.insurance_number:
        kind = {"system": IDENTIFIER_TYPE_SYSTEM, "code": "SN", "display": "Subscriber Number"}
        identifiers.append(
            {
                "use": "official",
                "type": {"coding": [kind], "text": "医保号"},
                "system": INSURANCE_SYSTEM,
                "value": patient.insurance_number,
            }
        )
    if identifiers:
        resource["identifier"] = identifiers
    if patient.phone:
        resource["telecom"] = [_phone(patient.phone, patient.phone_is_mobile)]
    if patient.address:
        resource["address"] = [{"use": "home", "text": patient.address}]
    contacts = []
    if patient.guardian is not None:
        contacts.append(_contact(patient.guardian, ["N"]))
    if patient.emergency_contact is not None:
        contacts.append(_contact(patient.emergency_contact, ["C"]))
    if contacts:
        resource["contact"] = contacts
    if patient.duplicate_decision is not None:
        resource["extension"] = [_decision_extension(patient.duplicate_decision)]
    return resource


def prefill_from_query(query: str) -> dict[str, str]:
    """Fields of the new-patient form that a search's query already holds (field -> text).

    A Han or multi-word Latin query is a name; 15 or more digits (or 17 and X) an identity
    number; 7 to 14 digits a phone. A single Latin word is left out: it is as likely
    pinyin initials (zs) as a name.
    """
    text = " ".join(query.split())
    compact = "".join(char for char in text if char not in " -()")
    if not text:
        return {}
    if any(_is_han(char) for char in text):
        return {"name": "".join(text.split()) if all(_is_han(c) for c in compact) else text}
    if compact.upper().rstrip("X").isdigit() and len(compact) >= 15:
        return {"identifier": compact.upper()}
    if compact.lstrip("+").isdigit() and 7 <= len(compact) <= 14:
        return {"phone": text}
    if " " in text and all(
        word.replace("'", "").replace("-", "").isalpha() for word in text.split()
    ):
        return {"name": text}
    return {}


@dataclass(frozen=True)
class PossibleDuplicate:
    """A patient on file that a new registration matches, and on what."""

    patient: PatientSummary
    on: MatchedOn
