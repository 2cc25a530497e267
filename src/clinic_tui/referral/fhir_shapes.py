"""FHIR R4 JSON of a referral: ServiceRequest, Task, Communication and the follow-up Task.

Pure: ids and times are handed in. A change starts from the cached JSON and touches only
what the action owns, so fields this app does not model survive (shared/ARCHITECTURE.md).

Who is who, and why:
- ServiceRequest.requester, Task.requester, Communication.sender are the requesting
  *Organization*; ServiceRequest.performer[0], Task.owner, Communication.recipient the
  target hospital's. Those are the references the sync scope searches on
  (`requester=`, `owner=`, `performer=`, `sender=`, `recipient=` Organization/<clinic>),
  so each side downloads exactly its referrals. The doctor who acted is kept beside
  them in the extension PRACTITIONER_EXTENSION (a Reference to the Practitioner).
- The department is an Organization partOf the hospital (type `dept`); it rides as a
  second ServiceRequest.performer and, on the Task (which forwarding changes), in the
  extension DEPARTMENT_EXTENSION, with the specialty in Task.performerType.
- The follow-up is a Task, not a CarePlan: it is one due action with an owner (the
  township) and a state the township moves to completed when the patient came; a Task
  carries owner, requester, restriction.period.end (due) and description (the plan), and
  the sync already downloads Tasks by requester and owner, so no new type or search is
  needed. A CarePlan has no owner to scope it by and its activities are more than a
  single due visit needs.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from clinic_tui.domain.fhir import (
    DEPARTMENT_EXTENSION,
    TASK_KIND_SYSTEM,
    Resource,
    concept_code,
    reference_id,
)
from clinic_tui.domain.referral_workflow import ReferralStatus
from clinic_tui.i18n import N_, tr
from clinic_tui.referral.model import Coded, FollowUpPlan, ReferralDraft

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"

CATEGORY_SYSTEM = "urn:clinic-tui:service-request-category"
"""The category the cache reads (referral / consultation); the demo data uses it too."""

CATEGORIES: dict[str, tuple[str, str, str, str]] = {
    # SNOMED CT 3457005 |Patient referral (procedure)|, 11429006 |Consultation (procedure)|:
    # the SNOMED CT International Edition concepts (browser.ihtsdotools.org).
    "referral": ("3457005", "Patient referral", "Referral", "转诊"),
    "consultation": ("11429006", "Consultation", N_("Teleconsultation"), "远程会诊"),
}
"""category code -> (SNOMED CT code, SNOMED display, English word, Chinese word)."""

PRIORITIES: dict[str, tuple[str, str]] = {
    "routine": (N_("Routine"), "普通"),
    "urgent": (N_("Urgent"), "紧急"),
    "asap": (N_("ASAP"), "尽快"),
    "stat": (N_("STAT"), "立即"),
}
"""FHIR R4 request-priority codes (http://hl7.org/fhir/request-priority) and their words.

One word per priority on every screen (chart, referral list, form, triage inbox): the English
is the code system's own display (FHIR R4 CodeSystem request-priority: Routine, Urgent, ASAP,
STAT), short enough for the inbox's column; the Chinese is the catalogue's."""

PRIORITY_MARKERS = {"routine": "", "urgent": "!!", "asap": "!!", "stat": "!!!"}
"""Text markers beside the colour, as on the queue (colour is never the only signal)."""

TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"

PRACTITIONER_EXTENSION = "urn:clinic-tui:fhir:extension:practitioner"
"""The doctor who wrote a request, message or outcome (valueReference Practitioner)."""

BUSINESS_STATUS_SYSTEM = "urn:clinic-tui:referral-business-status"
BUSINESS_STATUSES: dict[str, tuple[str, str]] = {
    "appointment-booked": (N_("Appointment booked"), "已预约"),
    "teleconsultation": (N_("Teleconsultation"), "远程会诊"),
    "forwarded": (N_("Forwarded"), "已转科"),
    "advice-given": (N_("Advice given"), "已给出诊疗意见"),
    "follow-up-planned": (N_("Follow-up planned"), "已安排随访"),
}
"""Task.businessStatus: what happened within a state (the state alone does not say)."""

DECLINE_REASON_SYSTEM = "urn:clinic-tui:referral-decline-reason"
DECLINE_REASONS: dict[str, tuple[str, str]] = {
    "manage-locally": (N_("Can be managed at the township"), "可在基层继续诊治"),
    "more-information": (N_("More information needed"), "资料不全，需补充"),
    "wrong-department": (N_("Wrong department"), "科室不对口"),
    "no-capacity": (N_("No capacity (beds or specialists)"), "床位或专家不足"),
    "other-hospital": (N_("Refer to another hospital"), "建议转往其他医院"),
    "duplicate": (N_("Duplicate referral"), "重复转诊"),
    "other": (N_("Other reason"), "其他原因"),
}
"""Task.statusReason codes of a decline (this app's own value set), in the order offered."""

OUTPUT_SYSTEM = "urn:clinic-tui:referral-output"
"""Task.output types of a completed referral: 'advice' (text), 'follow-up' (Task reference)."""

MESSAGE_SYSTEM = "urn:clinic-tui:referral-message"
MESSAGE_KINDS: dict[str, tuple[str, str]] = {
    "question": ("Question", "提问"),
    "answer": ("Answer", "回复"),
    "note": (N_("Message"), "留言"),
}
"""Communication.category codes of a referral's thread."""

ORGANIZATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"
"""HL7 organization-type: 'dept' marks a hospital department."""

SPECIALTIES: tuple[tuple[str, str, str], ...] = (
    # SNOMED CT practice settings, as in FHIR R4's c80-practice-codes value set
    # (http://hl7.org/fhir/R4/valueset-c80-practice-codes.html).
    ("394579002", N_("Cardiology"), "心内科"),
    ("394583002", N_("Endocrinology"), "内分泌科"),
    ("418112009", N_("Pulmonary medicine"), "呼吸内科"),
    ("394584008", N_("Gastroenterology"), "消化内科"),
    ("394589003", N_("Nephrology"), "肾内科"),
    ("394591006", N_("Neurology"), "神经内科"),
    ("394802001", N_("General medicine"), "普通内科"),
    ("394609007", N_("General surgery"), "普通外科"),
    ("394585009", N_("Obstetrics and gynecology"), "妇产科"),
    ("394537008", N_("Pediatric specialty"), "儿科"),
)
"""(SNOMED CT code, English, Chinese) of the specialties a referral may ask for."""


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _ref(kind: str, ident: str, display: str | None = None) -> dict[str, str]:
    reference = {"reference": f"{kind}/{ident}"}
    if display:
        reference["display"] = display
    return reference


def _coded(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


def _practitioner_extension(practitioner_id: str | None) -> list[dict[str, Any]]:
    if not practitioner_id:
        return []
    return [
        {"url": PRACTITIONER_EXTENSION, "valueReference": _ref("Practitioner", practitioner_id)}
    ]


def category_concept(category: str) -> dict[str, Any]:
    """ServiceRequest.category: this app's code and the SNOMED CT concept, with the Chinese word."""
    snomed, display, english, chinese = CATEGORIES[category]
    return {
        "coding": [
            {"system": CATEGORY_SYSTEM, "code": category, "display": english},
            {"system": SNOMED, "code": snomed, "display": display},
        ],
        "text": chinese,
    }


def specialty_concept(specialty: Coded) -> dict[str, Any]:
    """A specialty as a CodeableConcept (SNOMED CT practice setting)."""
    return _coded(specialty.system, specialty.code, specialty.display, specialty.display)


def specialty_by_code(code: str) -> Coded | None:
    """The specialty of SPECIALTIES with this SNOMED CT code, None for another code."""
    for snomed, english, _chinese in SPECIALTIES:
        if snomed == code:
            return Coded(SNOMED, snomed, english)
    return None


def service_request(
    ident: str,
    patient_id: str,
    draft: ReferralDraft,
    requester_org: str,
    practitioner_id: str | None,
    now: datetime,
    *,
    requester_name: str = "",
    hospital_name: str = "",
    department_name: str = "",
) -> Resource:
    """The ServiceRequest a township sends: what is asked of whom, why, and what goes with it."""
    resource: Resource = {
        "resourceType": "ServiceRequest",
        "id": ident,
        "status": "active",
        "intent": "order",
        "category": [category_concept(draft.category)],
        "priority": draft.priority,
        "code": {"text": tr(CATEGORIES[draft.category][2])},
        "subject": _ref("Patient", patient_id),
        "authoredOn": _stamp(now),
        "requester": _ref("Organization", requester_org, requester_name or None),
        "performer": [_ref("Organization", draft.hospital_id, hospital_name or None)],
    }
    if draft.department_id:
        resource["performer"].append(
            _ref("Organization", draft.department_id, department_name or None)
        )
    if draft.specialty is not None:
        resource["performerType"] = specialty_concept(draft.specialty)
    reason_text = draft.reason_text or (draft.reason.display if draft.reason else "")
    if draft.reason is not None:
        resource["reasonCode"] = [
            _coded(draft.reason.system, draft.reason.code, draft.reason.display, reason_text)
        ]
    elif reason_text:
        resource["reasonCode"] = [{"text": reason_text}]
    if draft.supporting:
        resource["supportingInfo"] = [{"reference": ref} for ref in draft.supporting]
    if draft.encounter_id:
        resource["encounter"] = _ref("Encounter", draft.encounter_id)
    if draft.summary.strip():
        resource["note"] = [{"text": draft.summary, "time": _stamp(now)}]
    resource["extension"] = _practitioner_extension(practitioner_id) or []
    if not resource["extension"]:
        del resource["extension"]
    return resource


def referral_task(
    ident: str,
    request: Resource,
    practitioner_id: str | None,
    now: datetime,
) -> Resource:
    """The Task carrying the ServiceRequest's workflow: requested, owned by the hospital."""
    performers = request.get("performer") or []
    task: Resource = {
        "resourceType": "Task",
        "id": ident,
        "status": ReferralStatus.REQUESTED.value,
        "intent": "order",
        "priority": request.get("priority", "routine"),
        "code": {
            "coding": [
                {
                    "system": TASK_CODE_SYSTEM,
                    "code": "fulfill",
                    "display": "Fulfill the focal request",
                },
                {"system": TASK_KIND_SYSTEM, "code": "referral", "display": "Referral"},
            ]
        },
        "focus": _ref("ServiceRequest", request["id"]),
        "for": copy.deepcopy(request["subject"]),
        "authoredOn": _stamp(now),
        "lastModified": _stamp(now),
        "requester": copy.deepcopy(request["requester"]),
        "owner": copy.deepcopy(performers[0]),
    }
    reasons = request.get("reasonCode") or []
    if reasons and isinstance(reasons[0], dict) and reasons[0].get("text"):
        task["description"] = reasons[0]["text"]
    if "performerType" in request:
        task["performerType"] = [copy.deepcopy(request["performerType"])]
    extension = _practitioner_extension(practitioner_id)
    if len(performers) > 1:
        extension.append(
            {"url": DEPARTMENT_EXTENSION, "valueReference": copy.deepcopy(performers[1])}
        )
    if extension:
        task["extension"] = extension
    if "encounter" in request:
        task["encounter"] = copy.deepcopy(request["encounter"])
    return task


def _set_extension(resource: Resource, url: str, value: dict[str, Any] | None) -> None:
    kept = [e for e in resource.get("extension") or [] if e.get("url") != url]
    if value is not None:
        kept.append({"url": url, **value})
    if kept:
        resource["extension"] = kept
    else:
        resource.pop("extension", None)


def moved_task(
    before: Resource,
    status: ReferralStatus,
    now: datetime,
    practitioner_id: str | None = None,
) -> Resource:
    """`before` in a new state, lastModified now, signed by the doctor who moved it."""
    task = copy.deepcopy(before)
    task["status"] = status.value
    task["lastModified"] = _stamp(now)
    if practitioner_id:
        _set_extension(
            task, PRACTITIONER_EXTENSION, {"valueReference": _ref("Practitioner", practitioner_id)}
        )
    return task


def business_status(code: str, text: str | None = None) -> dict[str, Any]:
    """Task.businessStatus with this app's code and the words for it."""
    english, chinese = BUSINESS_STATUSES[code]
    return _coded(BUSINESS_STATUS_SYSTEM, code, english, text or chinese)


def accepted_task(task: Resource, appointment: date | None, teleconsultation: bool) -> Resource:
    """An accepted Task: the appointment (restriction.period.start) or 'teleconsultation'."""
    if teleconsultation:
        task["businessStatus"] = business_status("teleconsultation")
    elif appointment is not None:
        task["businessStatus"] = business_status("appointment-booked")
        task["restriction"] = {
            **(task.get("restriction") or {}),
            "period": {"start": appointment.isoformat()},
        }
    return task


def declined_task(task: Resource, reason_code: str, text: str) -> Resource:
    """A rejected Task: statusReason coded from DECLINE_REASONS, the doctor's words as its text."""
    if reason_code not in DECLINE_REASONS:
        raise ValueError(f"unknown decline reason {reason_code!r}; 未知的拒绝原因 {reason_code!r}")
    english, chinese = DECLINE_REASONS[reason_code]
    task["statusReason"] = _coded(DECLINE_REASON_SYSTEM, reason_code, english, text.strip() or None)
    if not text.strip():
        task["statusReason"]["text"] = chinese
    return task


def forwarded_task(
    task: Resource,
    hospital_id: str,
    department_id: str | None,
    specialty: Coded | None,
    *,
    hospital_name: str = "",
    department_name: str = "",
) -> Resource:
    """A Task sent on: a new owner (hospital), department and specialty, marked 'forwarded'."""
    task["owner"] = _ref("Organization", hospital_id, hospital_name or None)
    department = (
        {"valueReference": _ref("Organization", department_id, department_name or None)}
        if department_id
        else None
    )
    _set_extension(task, DEPARTMENT_EXTENSION, department)
    if specialty is not None:
        task["performerType"] = [specialty_concept(specialty)]
    else:
        task.pop("performerType", None)
    task["businessStatus"] = business_status("forwarded")
    return task


def completed_task(
    task: Resource, advice: str, follow_up_id: str | None, now: datetime
) -> Resource:
    """A completed Task: the advice as output, and the follow-up Task it created."""
    outputs: list[dict[str, Any]] = [
        {"type": _coded(OUTPUT_SYSTEM, "advice", "Advice"), "valueString": advice}
    ]
    if follow_up_id is not None:
        outputs.append(
            {
                "type": _coded(OUTPUT_SYSTEM, "follow-up", "Follow-up"),
                "valueReference": _ref("Task", follow_up_id),
            }
        )
    task["output"] = outputs
    period = dict(task.get("executionPeriod") or {})
    period["end"] = _stamp(now)
    task["executionPeriod"] = period
    task["businessStatus"] = business_status(
        "follow-up-planned" if follow_up_id is not None else "advice-given"
    )
    return task


def follow_up_task(
    ident: str,
    referral: Resource,
    plan: FollowUpPlan,
    hospital_org: str,
    practitioner_id: str | None,
    now: datetime,
) -> Resource:
    """The downward referral's follow-up: a Task the township owns, due on plan.due."""
    township = copy.deepcopy(referral.get("requester") or {})
    task: Resource = {
        "resourceType": "Task",
        "id": ident,
        "status": ReferralStatus.REQUESTED.value,
        "intent": "plan",
        "priority": "routine",
        "code": {
            "coding": [{"system": TASK_KIND_SYSTEM, "code": "follow-up", "display": "Follow-up"}],
            "text": tr("Follow-up"),
        },
        "description": plan.plan,
        "partOf": [_ref("Task", referral["id"])],
        "for": copy.deepcopy(referral.get("for") or {}),
        "authoredOn": _stamp(now),
        "lastModified": _stamp(now),
        "requester": _ref("Organization", hospital_org),
        "owner": township,
        "restriction": {"period": {"end": plan.due.isoformat()}},
    }
    if "focus" in referral:
        task["basedOn"] = [copy.deepcopy(referral["focus"])]
    extension = _practitioner_extension(practitioner_id)
    if extension:
        task["extension"] = extension
    return task


def communication(
    ident: str,
    task: Resource,
    kind: str,
    text: str,
    sender_org: str,
    recipient_org: str,
    practitioner_id: str | None,
    now: datetime,
    in_response_to: str | None = None,
) -> Resource:
    """A message of the referral's thread, about its ServiceRequest and Task."""
    english, _ = MESSAGE_KINDS[kind]
    about = [_ref("Task", task["id"])]
    request_id = reference_id(task.get("focus"), "ServiceRequest")
    if request_id:
        about.insert(0, _ref("ServiceRequest", request_id))
    resource: Resource = {
        "resourceType": "Communication",
        "id": ident,
        "status": "completed",
        "category": [_coded(MESSAGE_SYSTEM, kind, english)],
        "subject": copy.deepcopy(task.get("for") or {}),
        "about": about,
        "sent": _stamp(now),
        "sender": _ref("Organization", sender_org),
        "recipient": [_ref("Organization", recipient_org)],
        "payload": [{"contentString": text}],
    }
    if in_response_to:
        resource["inResponseTo"] = [_ref("Communication", in_response_to)]
    extension = _practitioner_extension(practitioner_id)
    if extension:
        resource["extension"] = extension
    return resource


def department_organization(
    ident: str, hospital: Resource, name: str, specialty: Coded | None = None
) -> Resource:
    """A hospital department: an Organization of type dept, partOf the hospital.

    The specialty rides as a second Organization.type coding, so the refer form can
    fill the specialty from the chosen department.
    """
    types: list[dict[str, Any]] = [
        {
            "coding": [
                {
                    "system": ORGANIZATION_TYPE_SYSTEM,
                    "code": "dept",
                    "display": "Hospital Department",
                }
            ],
            "text": "科室",
        }
    ]
    if specialty is not None:
        types.append(specialty_concept(specialty))
    return {
        "resourceType": "Organization",
        "id": ident,
        "active": True,
        "type": types,
        "name": name,
        "partOf": _ref("Organization", hospital["id"], str(hospital.get("name") or "") or None),
    }


# ----- reading ---------------------------------------------------------------------------


def extension_reference(resource: Resource, url: str, kind: str) -> str | None:
    """The id an extension's valueReference names, None when absent."""
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == url:
            return reference_id(extension.get("valueReference"), kind)
    return None


def task_kind(task: Resource) -> str:
    """'follow-up' for a downward plan, 'referral' for a referral's workflow, else ''."""
    code = task.get("code")
    kind = None
    if isinstance(code, dict):
        for coding in code.get("coding") or []:
            if isinstance(coding, dict) and coding.get("system") == TASK_KIND_SYSTEM:
                kind = coding.get("code")
    if isinstance(kind, str):
        return kind
    # Tasks written before this code (the demo data's) are referrals when they focus on one.
    return "referral" if reference_id(task.get("focus"), "ServiceRequest") else ""


def output_of(task: Resource, code: str) -> Any:
    """The value of the Task output of type `code` (OUTPUT_SYSTEM), None when absent."""
    for output in task.get("output") or []:
        if not isinstance(output, dict):
            continue
        if concept_code(output.get("type"), OUTPUT_SYSTEM) == code:
            for key, value in output.items():
                if key.startswith("value"):
                    return value
    return None


def advice_of(task: Resource) -> str:
    """The advice a completed referral carries (the demo's untyped output counts too)."""
    advice = output_of(task, "advice")
    if isinstance(advice, str):
        return advice
    for output in task.get("output") or []:
        if isinstance(output, dict) and isinstance(output.get("valueString"), str):
            return str(output["valueString"])
    return ""


def follow_up_id_of(task: Resource) -> str | None:
    """The follow-up Task a completed referral created, None when it made none."""
    return reference_id(output_of(task, "follow-up"), "Task")


def decline_reason_words(task: Resource) -> str:
    """Why a referral was declined: the coded reason's words and the doctor's text."""
    reason = task.get("statusReason")
    if not isinstance(reason, dict):
        return ""
    code = concept_code(reason, DECLINE_REASON_SYSTEM)
    text = str(reason.get("text") or "")
    if code in DECLINE_REASONS:
        english, chinese = DECLINE_REASONS[code]
        words = tr(english)
        return words if text in ("", chinese, english) else f"{words}: {text}"
    return text


def business_status_words(task: Resource) -> str:
    """The Task's businessStatus in the clinician's words."""
    concept = task.get("businessStatus")
    code = concept_code(concept, BUSINESS_STATUS_SYSTEM)
    if code in BUSINESS_STATUSES:
        return tr(BUSINESS_STATUSES[code][0])
    return str((concept or {}).get("text") or "") if isinstance(concept, dict) else ""


def priority_words(priority: str | None) -> str:
    """A request priority in words, with its text marker ('!! Urgent')."""
    code = priority or "routine"
    english = PRIORITIES.get(code, (code, code))[0]
    marker = PRIORITY_MARKERS.get(code, "")
    return f"{marker} {tr(english)}".strip()


def category_words(category: str | None) -> str:
    """'Referral' or 'Teleconsultation' in the language in force."""
    found = CATEGORIES.get(category or "referral")
    return tr(found[2]) if found else str(category)
