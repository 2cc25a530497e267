"""Audit records: who opened or changed which patient's record, when, as FHIR R4 AuditEvents.

Built here without I/O; offline_cache/audit.py stores them beside the change they record
and the sync sends them up. The codes follow the R4 AuditEvent page's own guidance for a
RESTful interaction (type `rest` with the interaction as subtype, action C/R/U/D) and mark
the patient as an entity of role Patient, so a server's own audit tools can read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

Resource = dict[str, Any]

AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
USER_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"

ACTIONS: dict[str, str] = {"read": "R", "create": "C", "update": "U", "delete": "D"}
"""R4 AuditEvent.action (audit-event-action) of each interaction we record."""

SOURCE_SITE = "clinic-tui"
"""AuditEvent.source.site: which application on the workstation recorded it."""


@dataclass(frozen=True)
class AuditAgent:
    """Who acts on this workstation: the signed-in clinician, and where they work."""

    practitioner_id: str | None = None
    name: str = ""
    """The clinician's name as shown, or the operating-system user when no one signed in."""
    organization_id: str | None = None
    """The clinic, AuditEvent.source.observer."""
    organization_name: str = ""

    @property
    def reference(self) -> str | None:
        """`Practitioner/<id>` when a clinician is known."""
        return f"Practitioner/{self.practitioner_id}" if self.practitioner_id else None


def audit_event(
    event_id: str,
    interaction: str,
    entity: str,
    patient_id: str | None,
    agent: AuditAgent,
    recorded: datetime,
    description: str = "",
) -> Resource:
    """An AuditEvent of one interaction (read, create, update, delete) with one record.

    `entity` is `Type/id` of the record; the patient it belongs to is a second entity
    of role Patient (1), so a server can list everything done with one patient's data.
    """
    if interaction not in ACTIONS:
        raise ValueError(f"not an audited interaction: {interaction!r}")
    who: Resource = {"requestor": True, "type": _concept(USER_TYPE, "humanuser", "human user")}
    if agent.reference:
        who["who"] = {"reference": agent.reference}
    if agent.name:
        who["name"] = agent.name
    observer: Resource = (
        {"reference": f"Organization/{agent.organization_id}"}
        if agent.organization_id
        else {"display": "clinic-tui workstation"}
    )
    if agent.organization_name:
        observer["display"] = agent.organization_name
    entities = [_entity(entity, description)]
    if patient_id and entity != f"Patient/{patient_id}":
        entities.append(_patient_entity(patient_id))
    elif patient_id:
        entities[0] = {
            **_patient_entity(patient_id),
            **({"description": description} if description else {}),
        }
    return {
        "resourceType": "AuditEvent",
        "id": event_id,
        "type": {"system": AUDIT_EVENT_TYPE, "code": "rest", "display": "RESTful Operation"},
        "subtype": [{"system": RESTFUL_INTERACTION, "code": interaction}],
        "action": ACTIONS[interaction],
        "recorded": recorded.isoformat(timespec="milliseconds"),
        "outcome": "0",
        "purposeOfEvent": [_concept(ACT_REASON, "TREAT", "treatment")],
        "agent": [who],
        "source": {
            "site": SOURCE_SITE,
            "observer": observer,
            "type": [{"system": SOURCE_TYPE, "code": "1", "display": "User Device"}],
        },
        "entity": entities,
    }


def _concept(system: str, code: str, display: str) -> Resource:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _entity(reference: str, description: str) -> Resource:
    entity: Resource = {
        "what": {"reference": reference},
        "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
        "role": {"system": OBJECT_ROLE, "code": "4", "display": "Domain Resource"},
    }
    if description:
        entity["description"] = description
    return entity


def _patient_entity(patient_id: str) -> Resource:
    return {
        "what": {"reference": f"Patient/{patient_id}"},
        "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
        "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
    }


DICOM = "http://dicom.nema.org/resources/ontology/DCM"
USER_AUTHENTICATION = "110114"
"""DICOM "User Authentication": the AuditEvent.type of a sign-in (the R4 example-login)."""
LOGIN = "110122"
"""DICOM "Login", its subtype."""

SIGN_IN_OUTCOMES: dict[str, str] = {"signed_in": "0", "wrong_pin": "4", "locked_out": "8"}
"""R4 audit-event-outcome of each sign-in event: success, minor failure, serious failure."""

EXECUTE = "E"
"""AuditEvent.action of a sign-in (the R4 example-login's), and of nothing else recorded here."""


def sign_in_event(
    event_id: str,
    kind: str,
    practitioner_id: str,
    agent: AuditAgent,
    recorded: datetime,
    description: str = "",
) -> Resource:
    """An AuditEvent of one sign-in: signed_in, wrong_pin or locked_out (never the PIN).

    Shaped as the R4 example-login (type User Authentication, subtype Login, action E).
    The clinician's account is the entity, of role User (6); a sign-in that failed names
    the account tried as the agent's altId only, since nobody was proved to be them.
    """
    if kind not in SIGN_IN_OUTCOMES:
        raise ValueError(f"not a sign-in event: {kind!r}")
    account = f"Practitioner/{practitioner_id}"
    who: Resource = {"requestor": True, "type": _concept(USER_TYPE, "humanuser", "human user")}
    if kind == "signed_in":
        who["who"] = {"reference": account}
    else:
        who["altId"] = practitioner_id
    if agent.name:
        who["name"] = agent.name
    observer: Resource = (
        {"reference": f"Organization/{agent.organization_id}"}
        if agent.organization_id
        else {"display": "clinic-tui workstation"}
    )
    if agent.organization_name:
        observer["display"] = agent.organization_name
    event: Resource = {
        "resourceType": "AuditEvent",
        "id": event_id,
        "type": {"system": DICOM, "code": USER_AUTHENTICATION, "display": "User Authentication"},
        "subtype": [{"system": DICOM, "code": LOGIN, "display": "Login"}],
        "action": EXECUTE,
        "recorded": recorded.isoformat(timespec="milliseconds"),
        "outcome": SIGN_IN_OUTCOMES[kind],
        "agent": [who],
        "source": {
            "site": SOURCE_SITE,
            "observer": observer,
            "type": [{"system": SOURCE_TYPE, "code": "1", "display": "User Device"}],
        },
        "entity": [
            {
                "what": {"reference": account},
                "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE, "code": "6", "display": "User"},
            }
        ],
    }
    if description:
        event["outcomeDesc"] = description
    return event
